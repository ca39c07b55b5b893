package org.verbo.prep.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.verbo.prep.text.HtmlTextExtractor;
import org.verbo.prep.text.TextDecoder;
import org.verbo.prep.text.TextNormalizer;

/**
 * Streams the records of one file: documents (decoded, extracted, {@link
 * TextNormalizer#normalize(String) normalised}) and rejections. Bad content never throws; every
 * record that can't become a document comes out as a rejection with one of these reasons:
 *
 * <ul>
 *   <li>{@value #DECODE}: the bytes are neither valid UTF-8 nor decodable by the fallback charset,
 *       or they look binary (NUL characters or a high fraction of control characters, see {@link
 *       TextDecoder}). Decided per document: per file for FILE/HTML, per line for LINE/JSONL, per
 *       paragraph for PARAGRAPH.
 *   <li>{@value #EMPTY}: nothing left after extraction and normalisation. In FILE/HTML mode an
 *       empty or blank file gives exactly one such rejection. In LINE/PARAGRAPH/JSONL mode blank
 *       lines are skipped silently, but a file with no record at all gives one {@value #EMPTY}
 *       rejection (index 0), so no input file disappears without a trace; a JSONL record whose
 *       text field normalises to nothing is also {@value #EMPTY}.
 *   <li>{@value #MALFORMED_JSON}: a non-blank JSONL line that is not one JSON object.
 *   <li>{@value #MISSING_FIELD}: a JSONL object without the configured text field, or whose value
 *       is not a string.
 *   <li>{@value #TOO_LONG}: the document (FILE/HTML: the file; LINE/JSONL: the line; PARAGRAPH: the
 *       paragraph) has more than {@link ReaderOptions#maxDocumentBytes()} bytes. Its bytes are
 *       skipped while counted, never held in memory; the detail gives the size.
 * </ul>
 *
 * <p>Memory: LINE, PARAGRAPH and JSONL read line by line and hold at most {@code
 * maxDocumentBytes} (plus a 64 KiB buffer) of the file; FILE and HTML hold at most {@code
 * maxDocumentBytes} of the file. The iterator is lazy; the caller owns (and closes) the stream. An
 * {@link IOException} from the stream is rethrown as {@link UncheckedIOException}.
 *
 * <p>Decoding follows {@link TextDecoder} (UTF-8, else the fallback charset) for every format; an
 * HTML {@code <meta charset>} declaration is not consulted.
 *
 * <p>Metadata: JSONL documents carry every other top-level field of their object as a string (the
 * string value itself, the JSON text of a non-string value such as {@code 7} or {@code
 * ["a","b"]}, or null for JSON {@code null}); HTML documents carry {@code title} when the page has one; TEXT documents none.
 */
public final class DocumentReader {

  /** Reject reason: undecodable or binary bytes. */
  public static final String DECODE = "decode";
  /** Reject reason: nothing left after extraction and normalisation, or a file without records. */
  public static final String EMPTY = "empty";
  /** Reject reason: a JSONL line that is not a JSON object. */
  public static final String MALFORMED_JSON = "malformed_json";
  /** Reject reason: JSONL object without the text field, or with a non-string value. */
  public static final String MISSING_FIELD = "missing_field";
  /** Reject reason: a document larger than {@code max_document_bytes}. */
  public static final String TOO_LONG = "too_long";

  /** All reject reasons, for reports. */
  public static final List<String> REJECT_REASONS =
      List.of(DECODE, EMPTY, MALFORMED_JSON, MISSING_FIELD, TOO_LONG);

  private static final int MAX_DETAIL = 200;

  private static final ObjectMapper JSON =
      new ObjectMapper(
              JsonFactory.builder()
                  // Sizes are bounded by max_document_bytes already; don't let Jackson's default
                  // 20M-char string limit reject a document the config allows.
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private DocumentReader() {}

  /**
   * Streams the records of one file.
   *
   * @param in the file's bytes (already decompressed); not closed by the reader
   * @param format TEXT, JSONL or HTML
   * @param options split, JSON field, fallback charset, size limit
   * @throws IllegalArgumentException for {@link InputFormat#PARQUET}, which Spark reads itself
   */
  public static Iterator<RawDocument> read(
      InputStream in, InputFormat format, ReaderOptions options) {
    return read(in, format, options, true);
  }

  /**
   * {@link #read(InputStream, InputFormat, ReaderOptions)}; with {@code trustDecoder} false every decoded text goes
   * through {@link TextNormalizer#normalize}, even when {@link TextDecoder.Decoded#normalized()} says it is normalised
   * already, and every JSONL line is parsed from its decoded String, not from its bytes: the reference the shortcuts
   * are tested against (the documents must be the same).
   */
  static Iterator<RawDocument> read(
      InputStream in, InputFormat format, ReaderOptions options, boolean trustDecoder) {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(options, "options");
    return switch (Objects.requireNonNull(format, "format")) {
      case PARQUET -> throw new IllegalArgumentException(
          "PARQUET is read by Spark, not by DocumentReader");
      case HTML -> new WholeFileIterator(in, options, true, trustDecoder);
      case JSONL -> new JsonlIterator(in, options, trustDecoder);
      case TEXT -> switch (options.textSplit()) {
        case FILE -> new WholeFileIterator(in, options, false, trustDecoder);
        case LINE -> new LineIterator(in, options, trustDecoder);
        case PARAGRAPH -> new ParagraphIterator(in, options, trustDecoder);
      };
    };
  }

  /**
   * The normalised text of a decoded document: the text itself when the decoder found its bytes normalised already
   * (most documents; that spares normalize's scan of the String), else {@link TextNormalizer#normalize}.
   */
  private static String normalized(TextDecoder.Decoded d, boolean trustDecoder) {
    return trustDecoder && d.normalized() ? d.text() : TextNormalizer.normalize(d.text());
  }

  static String tooLongDetail(long size, int max) {
    return "size=" + size + " bytes > max_document_bytes=" + max;
  }

  /** Lazy iterator; adds the one {@value #EMPTY} record when a file yields nothing at all. */
  private abstract static class RecordIterator extends Lookahead<RawDocument> {
    private boolean done;
    private long produced;

    /** The next record, or null at the end. */
    protected abstract RawDocument compute() throws IOException;

    @Override
    protected final RawDocument computeNext() {
      if (done) {
        return null;
      }
      RawDocument r;
      try {
        r = compute();
      } catch (IOException e) {
        done = true;
        throw new UncheckedIOException(e);
      }
      if (r == null) {
        done = true;
        if (produced == 0) {
          r = RawDocument.rejected(0, EMPTY, "no records in file");
        }
      }
      if (r != null) {
        produced++;
      }
      return r;
    }
  }

  /** FILE split and HTML: the whole file is one document. */
  private static final class WholeFileIterator extends RecordIterator {
    private final InputStream in;
    private final ReaderOptions options;
    private final boolean html;
    private final boolean trustDecoder;
    private boolean read;

    WholeFileIterator(InputStream in, ReaderOptions options, boolean html, boolean trustDecoder) {
      this.in = in;
      this.options = options;
      this.html = html;
      this.trustDecoder = trustDecoder;
    }

    @Override
    protected RawDocument compute() throws IOException {
      if (read) {
        return null;
      }
      read = true;
      int max = options.maxDocumentBytes();
      ByteArrayOutputStream kept = new ByteArrayOutputStream(8192);
      byte[] buf = new byte[64 * 1024];
      long size = 0;
      int r;
      while ((r = in.read(buf)) >= 0) {
        size += r;
        if (kept != null) {
          if (size <= max) {
            kept.write(buf, 0, r);
          } else {
            kept = null; // too long: drop what we held, keep counting to the end
          }
        }
      }
      if (size > max) {
        return RawDocument.rejected(0, TOO_LONG, tooLongDetail(size, max));
      }
      byte[] bytes = kept.toByteArray();
      if (bytes.length == 0) {
        return RawDocument.rejected(0, EMPTY, "empty file");
      }
      TextDecoder.Decoded d = TextDecoder.decode(bytes, 0, bytes.length, options.fallbackCharset());
      if (!d.ok()) {
        return RawDocument.rejected(0, DECODE, d.error(), d.usedFallbackCharset());
      }
      Map<String, String> meta = Map.of();
      String text;
      if (html) {
        HtmlTextExtractor.Extracted x = HtmlTextExtractor.extract(d.text());
        text = x.text();
        if (!x.title().isEmpty()) {
          meta = Map.of("title", x.title());
        }
      } else {
        text = normalized(d, trustDecoder);
      }
      if (text.isEmpty()) {
        return RawDocument.rejected(
            0, EMPTY, html ? "no text after HTML extraction" : "blank file", d.usedFallbackCharset());
      }
      return RawDocument.ok(0, text, meta, d.usedFallbackCharset());
    }
  }

  /**
   * One record per non-blank line, read with a byte limit: the shared part of LINE and JSONL (too-long lines,
   * blank lines, per-line decoding); {@link #record} turns one decoded line into a document, a rejection, or
   * null to skip it.
   */
  private abstract static class LineRecordIterator extends RecordIterator {
    private final ByteLineReader lines;
    private final TextDecoder decoder;
    private final int max;
    /** False for the reference reader: every text through normalize, every JSONL line through its String. */
    protected final boolean trustDecoder;

    LineRecordIterator(InputStream in, ReaderOptions options, boolean trustDecoder) {
      this.lines = new ByteLineReader(in, options.maxDocumentBytes());
      this.decoder = new TextDecoder(options.fallbackCharset());
      this.max = options.maxDocumentBytes();
      this.trustDecoder = trustDecoder;
    }

    @Override
    protected final RawDocument compute() throws IOException {
      while (lines.next()) {
        long index = lines.lineNumber();
        if (lines.tooLong()) {
          return RawDocument.rejected(index, TOO_LONG, tooLongDetail(lines.size(), max));
        }
        if (lines.blank()) {
          continue;
        }
        if (parsesUtf8()) {
          int start = decoder.cleanUtf8Start(lines.bytes(), 0, lines.length());
          if (start >= 0) {
            return recordUtf8(index, lines.bytes(), start, lines.length());
          }
        }
        TextDecoder.Decoded d = decoder.decode(lines.bytes(), 0, lines.length());
        if (!d.ok()) {
          return RawDocument.rejected(index, DECODE, d.error(), d.usedFallbackCharset());
        }
        RawDocument r = record(index, d);
        if (r != null) {
          return r;
        }
      }
      return null;
    }

    protected abstract RawDocument record(long index, TextDecoder.Decoded d);

    /** Whether {@link #recordUtf8} takes lines that decode would return as plain UTF-8 text. */
    protected boolean parsesUtf8() {
      return false;
    }

    /**
     * {@link #record} for bytes[from, to) that {@link TextDecoder#cleanUtf8Start} found to be plain UTF-8 text: the same
     * result as record of their decoded text, from the bytes. Returns a document or a rejection, never null.
     */
    protected RawDocument recordUtf8(long index, byte[] bytes, int from, int to) {
      throw new UnsupportedOperationException();
    }
  }

  /** LINE split: each non-blank line is a document. */
  private static final class LineIterator extends LineRecordIterator {
    LineIterator(InputStream in, ReaderOptions options, boolean trustDecoder) {
      super(in, options, trustDecoder);
    }

    @Override
    protected RawDocument record(long index, TextDecoder.Decoded d) {
      String text = normalized(d, trustDecoder);
      // a line of invisible characters is as blank as an empty one
      return text.isEmpty() ? null : RawDocument.ok(index, text, Map.of(), d.usedFallbackCharset());
    }
  }

  /** PARAGRAPH split: each run of non-blank lines is a document. */
  private static final class ParagraphIterator extends RecordIterator {
    private final ByteLineReader lines;
    private final TextDecoder decoder;
    private final int max;
    private final ByteArrayOutputStream para = new ByteArrayOutputStream(1024);
    private final boolean trustDecoder;
    private long ordinal;

    ParagraphIterator(InputStream in, ReaderOptions options, boolean trustDecoder) {
      this.lines = new ByteLineReader(in, options.maxDocumentBytes());
      this.decoder = new TextDecoder(options.fallbackCharset());
      this.max = options.maxDocumentBytes();
      this.trustDecoder = trustDecoder;
    }

    @Override
    protected RawDocument compute() throws IOException {
      while (true) {
        // Collect one paragraph: skip leading blank lines, then read until a blank line or EOF.
        para.reset();
        long size = 0;
        boolean started = false;
        boolean more;
        while ((more = lines.next())) {
          if (lines.blank()) {
            if (started) {
              break;
            }
            continue;
          }
          if (started) {
            size += 1; // the '\n' between two lines of the paragraph
            if (size <= max) {
              para.write('\n');
            }
          }
          started = true;
          size += lines.size();
          if (size <= max && !lines.tooLong()) {
            para.write(lines.bytes(), 0, lines.length());
          } else if (para.size() > 0) {
            para.reset(); // too long: stop holding it, keep counting to its end
          }
        }
        if (!started) {
          return null;
        }
        long index = ordinal++;
        if (size > max) {
          return RawDocument.rejected(index, TOO_LONG, tooLongDetail(size, max));
        }
        byte[] bytes = para.toByteArray();
        TextDecoder.Decoded d = decoder.decode(bytes, 0, bytes.length);
        if (!d.ok()) {
          return RawDocument.rejected(index, DECODE, d.error(), d.usedFallbackCharset());
        }
        String text = normalized(d, trustDecoder);
        if (text.isEmpty()) {
          ordinal--; // invisible-only "paragraph": as blank as an empty line
          if (!more) {
            return null;
          }
          continue;
        }
        return RawDocument.ok(index, text, Map.of(), d.usedFallbackCharset());
      }
    }
  }

  /** JSONL: each non-blank line is one JSON object holding the text in a configured field. */
  private static final class JsonlIterator extends LineRecordIterator {
    private final String field;

    JsonlIterator(InputStream in, ReaderOptions options, boolean trustDecoder) {
      super(in, options, trustDecoder);
      this.field = options.jsonTextField();
    }

    @Override
    protected RawDocument record(long index, TextDecoder.Decoded d) {
      boolean fb = d.usedFallbackCharset();
      JsonNode node;
      try {
        node = JSON.readTree(d.text());
      } catch (JsonProcessingException e) {
        return RawDocument.rejected(index, MALFORMED_JSON, shorten(e.getOriginalMessage()), fb);
      }
      return record(index, node, fb);
    }

    @Override
    protected boolean parsesUtf8() {
      return trustDecoder;
    }

    /**
     * Jackson's UTF-8 parser on the line's bytes: no String of the whole line is built and then parsed again char by
     * char (prepare's JSONL read stage spent about a fifth of its decode-and-parse time on that String). A line that
     * does not parse goes through {@link #record(long, TextDecoder.Decoded)}, so its rejection detail is the String
     * parser's message, as before. DocumentReaderShortcutTest compares both ways on random lines.
     */
    @Override
    protected RawDocument recordUtf8(long index, byte[] bytes, int from, int to) {
      JsonNode node;
      try {
        node = JSON.readTree(bytes, from, to - from);
      } catch (IOException e) {
        return record(index, new TextDecoder.Decoded(
            new String(bytes, from, to - from, java.nio.charset.StandardCharsets.UTF_8), false, null));
      }
      return record(index, node, false);
    }

    private RawDocument record(long index, JsonNode node, boolean fb) {
      if (node == null || !node.isObject()) {
        String kind = node == null ? "nothing" : node.getNodeType().name().toLowerCase(Locale.ROOT);
        return RawDocument.rejected(index, MALFORMED_JSON, "not a JSON object but " + kind, fb);
      }
      JsonNode value = node.get(field);
      if (value == null) {
        return RawDocument.rejected(index, MISSING_FIELD, "no field '" + field + "'", fb);
      }
      if (!value.isTextual()) {
        return RawDocument.rejected(
            index,
            MISSING_FIELD,
            "field '" + field + "' is " + value.getNodeType().name().toLowerCase(Locale.ROOT)
                + ", not a string",
            fb);
      }
      String text = TextNormalizer.normalize(value.textValue());
      if (text.isEmpty()) {
        return RawDocument.rejected(index, EMPTY, "field '" + field + "' is blank", fb);
      }
      Map<String, String> meta = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (!e.getKey().equals(field)) {
          JsonNode v = e.getValue();
          // JSON null stays null (as a null Parquet cell does): the string "null" would pass for a value.
          meta.put(e.getKey(), v.isNull() ? null : v.isTextual() ? v.textValue() : v.toString());
        }
      }
      return RawDocument.ok(index, text, meta, fb);
    }
  }

  private static String shorten(String s) {
    if (s == null) {
      return "unparseable JSON";
    }
    String one = s.replace('\n', ' ').replace('\r', ' ');
    return one.length() <= MAX_DETAIL ? one : one.substring(0, MAX_DETAIL) + "...";
  }
}
