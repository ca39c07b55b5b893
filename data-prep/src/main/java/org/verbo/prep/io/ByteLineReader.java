package org.verbo.prep.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads an input stream line by line as bytes ({@code '\n'} terminated), holding at most {@code
 * maxBytes} of one line in memory: the bytes of a longer line are counted and dropped. Works for
 * every charset in which {@code '\n'} is the single byte 0x0A (UTF-8, ISO-8859-x, Windows-125x).
 * Not thread-safe.
 */
final class ByteLineReader {

  private final InputStream in;
  private final int maxBytes;
  private final byte[] buf = new byte[64 * 1024];
  private int pos;
  private int lim;
  private boolean eof;

  private byte[] line = new byte[256];
  private int length;
  private long size;
  private long lineNumber = -1;

  ByteLineReader(InputStream in, int maxBytes) {
    this.in = in;
    this.maxBytes = maxBytes;
  }

  /**
   * Advances to the next line.
   *
   * @return false at end of input (a final {@code '\n'} does not start another line)
   */
  boolean next() throws IOException {
    length = 0;
    size = 0;
    boolean any = false;
    while (true) {
      if (pos == lim) {
        if (eof || !fill()) {
          if (any) {
            lineNumber++;
          }
          return any;
        }
      }
      any = true;
      int start = pos;
      while (pos < lim && buf[pos] != '\n') {
        pos++;
      }
      append(start, pos - start);
      if (pos < lim) {
        pos++; // consume '\n'
        lineNumber++;
        return true;
      }
    }
  }

  /** 0-based number of the current line. */
  long lineNumber() {
    return lineNumber;
  }

  /** Size of the current line in bytes, without the {@code '\n'}. */
  long size() {
    return size;
  }

  /** True when the current line is longer than {@code maxBytes}; its bytes are not available. */
  boolean tooLong() {
    return size > maxBytes;
  }

  /** The bytes of the current line (valid until the next call), only when not {@link #tooLong()}. */
  byte[] bytes() {
    return line;
  }

  /** Number of valid bytes in {@link #bytes()}. */
  int length() {
    return length;
  }

  /** True when the current line holds only ASCII whitespace (space, \t, \r, \f, \v), or nothing. */
  boolean blank() {
    if (tooLong()) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      byte b = line[i];
      if (b != ' ' && b != '\t' && b != '\r' && b != '\f' && b != 0x0B) {
        return false;
      }
    }
    return true;
  }

  private void append(int from, int n) {
    size += n;
    if (size > maxBytes) {
      return; // counted, not kept
    }
    if (length + n > line.length) {
      line = Arrays.copyOf(line, (int) Math.min(Math.max((long) line.length * 2, length + n), maxBytes));
    }
    System.arraycopy(buf, from, line, length, n);
    length += n;
  }

  private boolean fill() throws IOException {
    int r;
    do {
      r = in.read(buf, 0, buf.length);
    } while (r == 0);
    if (r < 0) {
      eof = true;
      return false;
    }
    pos = 0;
    lim = r;
    return true;
  }
}
