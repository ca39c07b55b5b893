package org.verbo.prep.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DocumentReaderTest {

  private static final ReaderOptions DEFAULTS = ReaderOptions.defaults();

  private static List<RawDocument> read(byte[] bytes, InputFormat format, ReaderOptions o) {
    return read(new ByteArrayInputStream(bytes), format, o);
  }

  private static List<RawDocument> read(InputStream in, InputFormat format, ReaderOptions o) {
    List<RawDocument> out = new ArrayList<>();
    DocumentReader.read(in, format, o).forEachRemaining(out::add);
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code count} copies of {@code b}, then {@code tail}, generated on the fly (never in memory). */
  private static InputStream repeated(byte b, long count, byte[] tail) {
    InputStream body =
        new InputStream() {
          long left = count;

          @Override
          public int read() {
            if (left == 0) {
              return -1;
            }
            left--;
            return b & 0xFF;
          }

          @Override
          public int read(byte[] buf, int off, int len) {
            if (left == 0) {
              return -1;
            }
            int n = (int) Math.min(len, left);
            Arrays.fill(buf, off, off + n, b);
            left -= n;
            return n;
          }
        };
    return new SequenceInputStream(body, new ByteArrayInputStream(tail));
  }

  @Test
  void jsonlKeepsGoodLinesAndReportsBadOnes() {
    String file =
        String.join(
            "\n",
            "{\"text\": \"  Olá   mundo \", \"id\": 7, \"lang\": \"pt\", \"tags\": [\"a\",\"b\"]}",
            "{not json",
            "[1, 2]",
            "",
            "{\"body\": \"sem campo text\"}",
            "{\"text\": 5}",
            "{\"text\": \"segunda\"} trailing",
            "   ",
            "{\"text\": \"boa linha\", \"src\": null}",
            "{\"text\": \" \\u200B \"}");
    List<RawDocument> r = read(utf8(file), InputFormat.JSONL, DEFAULTS);
    assertEquals(8, r.size());

    RawDocument first = r.get(0);
    assertEquals(0, first.index());
    assertEquals("Olá mundo", first.text());
    assertEquals(Map.of("id", "7", "lang", "pt", "tags", "[\"a\",\"b\"]"), first.metadata());
    assertEquals(List.of("id", "lang", "tags"), new ArrayList<>(first.metadata().keySet()));

    assertEquals(DocumentReader.MALFORMED_JSON, r.get(1).rejectReason());
    assertEquals(1, r.get(1).index());
    assertEquals(DocumentReader.MALFORMED_JSON, r.get(2).rejectReason());
    assertEquals(DocumentReader.MISSING_FIELD, r.get(3).rejectReason());
    assertEquals(4, r.get(3).index());
    assertEquals(DocumentReader.MISSING_FIELD, r.get(4).rejectReason());
    assertTrue(r.get(4).rejectDetail().contains("number"), r.get(4).rejectDetail());
    assertEquals(DocumentReader.MALFORMED_JSON, r.get(5).rejectReason(), "trailing tokens");

    assertEquals("boa linha", r.get(6).text());
    assertEquals(8, r.get(6).index());
    assertTrue(r.get(6).metadata().containsKey("src"), "a null field is kept, as null");
    assertNull(r.get(6).metadata().get("src"), "JSON null is not the string \"null\"");
    assertEquals(DocumentReader.EMPTY, r.get(7).rejectReason(), "text normalises to nothing");
  }

  @Test
  void jsonlUsesTheConfiguredField() {
    ReaderOptions o = new ReaderOptions(TextSplit.FILE, "body", StandardCharsets.ISO_8859_1, 1024);
    List<RawDocument> r = read(utf8("{\"body\": \"corpo\", \"text\": \"meta\"}\n"), InputFormat.JSONL, o);
    assertEquals(1, r.size());
    assertEquals("corpo", r.get(0).text());
    assertEquals(Map.of("text", "meta"), r.get(0).metadata());
  }

  @Test
  void emptyFileGivesExactlyOneEmptyRejection() {
    for (InputFormat f : List.of(InputFormat.TEXT, InputFormat.HTML, InputFormat.JSONL)) {
      for (TextSplit s : TextSplit.values()) {
        List<RawDocument> r = read(new byte[0], f, DEFAULTS.withTextSplit(s));
        assertEquals(1, r.size(), f + "/" + s);
        assertEquals(DocumentReader.EMPTY, r.get(0).rejectReason(), f + "/" + s);
        assertEquals(0, r.get(0).index());
      }
    }
    // Blank content too: one rejection, not silence.
    assertEquals(
        DocumentReader.EMPTY, read(utf8(" \n\n\t\n"), InputFormat.TEXT, DEFAULTS).get(0).rejectReason());
    List<RawDocument> lines = read(utf8(" \n\n\t\n"), InputFormat.TEXT, DEFAULTS.withTextSplit(TextSplit.LINE));
    assertEquals(1, lines.size());
    assertEquals(DocumentReader.EMPTY, lines.get(0).rejectReason());
    List<RawDocument> html =
        read(utf8("<html><body><script>x()</script></body></html>"), InputFormat.HTML, DEFAULTS);
    assertEquals(List.of(DocumentReader.EMPTY), html.stream().map(RawDocument::rejectReason).toList());
  }

  @Test
  void binaryFileIsADecodeRejection() {
    byte[] bytes = new byte[4096];
    new Random(42).nextBytes(bytes);
    bytes[100] = 0;
    bytes[2000] = 0;
    List<RawDocument> r = read(bytes, InputFormat.TEXT, DEFAULTS);
    assertEquals(1, r.size());
    assertEquals(DocumentReader.DECODE, r.get(0).rejectReason());
    assertNull(r.get(0).text());

    List<RawDocument> html = read(bytes, InputFormat.HTML, DEFAULTS);
    assertEquals(DocumentReader.DECODE, html.get(0).rejectReason());

    // Line by line, no line of random bytes may pass as text.
    List<RawDocument> lines = read(bytes, InputFormat.TEXT, DEFAULTS.withTextSplit(TextSplit.LINE));
    assertFalse(lines.isEmpty());
    for (RawDocument d : lines) {
      assertEquals(DocumentReader.DECODE, d.rejectReason(), "line " + d.index());
    }
  }

  @Test
  void latin1PortugueseIsDecodedWithTheFallback() {
    byte[] latin1 = "Ação é coração.\nNão há.".getBytes(StandardCharsets.ISO_8859_1);
    RawDocument d = read(latin1, InputFormat.TEXT, DEFAULTS).get(0);
    assertEquals("Ação é coração.\nNão há.", d.text());
    assertTrue(d.usedFallbackCharset());

    RawDocument u = read(utf8("Ação é coração."), InputFormat.TEXT, DEFAULTS).get(0);
    assertEquals("Ação é coração.", u.text());
    assertFalse(u.usedFallbackCharset());

    // Per line: only the Latin-1 line needs the fallback.
    byte[] mixed = concat(utf8("ação\n"), "ação".getBytes(StandardCharsets.ISO_8859_1));
    List<RawDocument> r = read(mixed, InputFormat.TEXT, DEFAULTS.withTextSplit(TextSplit.LINE));
    assertEquals(List.of("ação", "ação"), r.stream().map(RawDocument::text).toList());
    assertFalse(r.get(0).usedFallbackCharset());
    assertTrue(r.get(1).usedFallbackCharset());

    // A US-ASCII fallback can't decode it: "decode".
    ReaderOptions ascii = new ReaderOptions(TextSplit.FILE, "text", StandardCharsets.US_ASCII, 1024);
    assertEquals(DocumentReader.DECODE, read(latin1, InputFormat.TEXT, ascii).get(0).rejectReason());
  }

  @Test
  void hugeSingleLineIsTooLongAndStreamed() {
    long size = 20L << 20; // 20 MiB line
    ReaderOptions o = DEFAULTS.withTextSplit(TextSplit.LINE).withMaxDocumentBytes(1 << 20);
    java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    boolean canMeasure =
        mx instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported();
    long before = canMeasure ? ((com.sun.management.ThreadMXBean) mx).getCurrentThreadAllocatedBytes() : 0;

    List<RawDocument> r = read(repeated((byte) 'a', size, utf8("\nOlá\n")), InputFormat.TEXT, o);

    assertEquals(2, r.size());
    assertEquals(DocumentReader.TOO_LONG, r.get(0).rejectReason());
    assertEquals(0, r.get(0).index());
    assertTrue(r.get(0).rejectDetail().contains("size=20971520"), r.get(0).rejectDetail());
    assertEquals("Olá", r.get(1).text());
    assertEquals(1, r.get(1).index());
    if (canMeasure) {
      long allocated = ((com.sun.management.ThreadMXBean) mx).getCurrentThreadAllocatedBytes() - before;
      // Holding the line would allocate >= 20 MiB; the reader keeps at most the 1 MiB limit.
      assertTrue(allocated < (8L << 20), "allocated " + allocated + " bytes");
    }
  }

  @Test
  void tooLongInEveryMode() {
    ReaderOptions small = DEFAULTS.withMaxDocumentBytes(1 << 20);
    RawDocument file = read(repeated((byte) 'b', 3L << 20, new byte[0]), InputFormat.TEXT, small).get(0);
    assertEquals(DocumentReader.TOO_LONG, file.rejectReason());
    assertEquals("size=3145728 bytes > max_document_bytes=1048576", file.rejectDetail());

    List<RawDocument> jsonl =
        read(
            concat(utf8("{\"text\": \""), concat(repeatedBytes('c', 2000), utf8("\"}\n{\"text\": \"ok\"}"))),
            InputFormat.JSONL,
            DEFAULTS.withMaxDocumentBytes(1000));
    assertEquals(DocumentReader.TOO_LONG, jsonl.get(0).rejectReason());
    assertEquals("ok", jsonl.get(1).text());
    assertEquals(1, jsonl.get(1).index());

    // Paragraph of two 600-byte lines (1201 bytes with the newline) over a 1000-byte limit.
    String line = "d".repeat(600);
    List<RawDocument> para =
        read(
            utf8(line + "\n" + line + "\n\ncurto"),
            InputFormat.TEXT,
            DEFAULTS.withTextSplit(TextSplit.PARAGRAPH).withMaxDocumentBytes(1000));
    assertEquals(DocumentReader.TOO_LONG, para.get(0).rejectReason());
    assertTrue(para.get(0).rejectDetail().contains("size=1201"), para.get(0).rejectDetail());
    assertEquals("curto", para.get(1).text());
    assertEquals(1, para.get(1).index());
  }

  @Test
  void lineSplitSkipsBlankLinesAndNumbersLines() {
    List<RawDocument> r =
        read(utf8("primeira\r\n\r\n  segunda  linha \n\u200B\nterceira"), InputFormat.TEXT,
            DEFAULTS.withTextSplit(TextSplit.LINE));
    assertEquals(List.of("primeira", "segunda linha", "terceira"), r.stream().map(RawDocument::text).toList());
    assertEquals(List.of(0L, 2L, 4L), r.stream().map(RawDocument::index).toList());
  }

  @Test
  void paragraphSplitCutsOnBlankLines() {
    String text = "\n\nP1 linha 1\nP1 linha 2\n\n\n \nP2\n\t\nP3 ação\n";
    List<RawDocument> r = read(utf8(text), InputFormat.TEXT, DEFAULTS.withTextSplit(TextSplit.PARAGRAPH));
    assertEquals(
        List.of("P1 linha 1\nP1 linha 2", "P2", "P3 ação"), r.stream().map(RawDocument::text).toList());
    assertEquals(List.of(0L, 1L, 2L), r.stream().map(RawDocument::index).toList());
  }

  @Test
  void fileSplitKeepsParagraphs() {
    RawDocument d = read(utf8("Título\r\n\r\n\r\nCorpo  do texto."), InputFormat.TEXT, DEFAULTS).get(0);
    assertEquals("Título\n\nCorpo do texto.", d.text());
    assertEquals(0, d.index());
    assertTrue(d.metadata().isEmpty());
  }

  @Test
  void htmlGivesTextAndTitle() {
    String html =
        "<html><head><title>Página</title></head><body><nav>menu</nav><p>Olá.</p><p>Até já.</p></body></html>";
    List<RawDocument> r = read(utf8(html), InputFormat.HTML, DEFAULTS);
    assertEquals(1, r.size());
    assertEquals("Olá.\n\nAté já.", r.get(0).text());
    assertEquals(Map.of("title", "Página"), r.get(0).metadata());
  }

  @Test
  void parquetIsNotReadHere() {
    assertThrows(
        IllegalArgumentException.class,
        () -> DocumentReader.read(new ByteArrayInputStream(new byte[0]), InputFormat.PARQUET, DEFAULTS));
  }

  @Test
  void streamFailureIsUnchecked() {
    InputStream broken =
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw new IOException("disk gone");
          }
        };
    Iterator<RawDocument> it =
        DocumentReader.read(broken, InputFormat.TEXT, DEFAULTS.withTextSplit(TextSplit.LINE));
    UncheckedIOException e = assertThrows(UncheckedIOException.class, it::hasNext);
    assertEquals("disk gone", e.getCause().getMessage());
  }

  private static byte[] repeatedBytes(char c, int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) c);
    return b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
