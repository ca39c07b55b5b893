package org.verbo.prep.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.verbo.prep.text.TextDecoder;

/**
 * DocumentReader hands out a decoded text as it is when the decoder found its bytes normalised already ({@link
 * TextDecoder.Decoded#normalized()}); the documents must be those of the reader that normalises every text (the
 * reference, {@code trustDecoder} false), in every TEXT split, on seeded random files of mostly normalised lines
 * with near misses, Latin-1 lines (the fallback), BOMs and runs of blank lines. JSONL the same way: lines that are
 * plain UTF-8 are parsed from their bytes (Jackson's UTF-8 parser) instead of from the decoded line; the records and
 * rejections (their details included) must be those of the String parser on seeded random lines: objects with escapes,
 * other fields of every JSON type, a missing or non-string text field, malformed JSON, Latin-1 lines and BOMs.
 */
class DocumentReaderShortcutTest {

  private static final String[] PIECES = {
    " ", " ", " ", " ", "ção", "é", "\u2014", "\u201C", "\u20AC", "  ", " \n", "\n ", "\n\n\n", "\t", "\r", "\f",
    "\u00A0", "\u00AD", "\u0085", "\u2028", "\u2029", "\u200B", "\u200D", "\uFEFF", "e\u0301", "日", "\uD83D\uDE00",
    "\u0001", "\u007F",
  };

  private static void word(Random rnd, StringBuilder sb) {
    for (int k = 1 + rnd.nextInt(8); k > 0; k--) {
      sb.append((char) ('a' + rnd.nextInt(26)));
    }
  }

  private static byte[] file(Random rnd) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (rnd.nextInt(8) == 0) {
      out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
    }
    boolean clean = rnd.nextBoolean(); // no noise, so that whole files (FILE split) are normalised too
    for (int line = rnd.nextInt(40); line > 0; line--) {
      StringBuilder sb = new StringBuilder();
      int len = rnd.nextInt(120);
      double noise = !clean && rnd.nextInt(3) == 0 ? 0.05 : 0;
      word(rnd, sb);
      while (sb.length() < len) {
        double r = rnd.nextDouble();
        if (r < noise) {
          sb.append(PIECES[4 + rnd.nextInt(PIECES.length - 4)]);
        } else if (r < 0.3) {
          sb.append(PIECES[rnd.nextInt(7)]);
        }
        word(rnd, sb);
      }
      if (!clean && rnd.nextInt(10) == 0) {
        sb.insert(0, ' ');
      }
      String s = sb.toString();
      boolean latin1 = rnd.nextInt(10) == 0 && StandardCharsets.ISO_8859_1.newEncoder().canEncode(s);
      out.writeBytes(s.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8));
      out.write('\n');
      if (rnd.nextInt(5) == 0) {
        out.write('\n'); // a blank line: a paragraph break
        if (rnd.nextInt(8) == 0) {
          out.write('\n'); // two: three line feeds in a row
        }
      }
    }
    byte[] b = out.toByteArray();
    // Mostly without the last line feed, so that a whole file can be normalised.
    return b.length > 0 && rnd.nextInt(4) != 0 ? Arrays.copyOf(b, b.length - 1) : b;
  }

  private static List<RawDocument> read(byte[] bytes, ReaderOptions o, boolean trustDecoder) {
    List<RawDocument> out = new ArrayList<>();
    DocumentReader.read(new ByteArrayInputStream(bytes), InputFormat.TEXT, o, trustDecoder)
        .forEachRemaining(out::add);
    return out;
  }

  @Test
  void documentsAreThoseOfTheReaderThatNormalisesEveryText() {
    Random rnd = new Random(20261216L);
    TextDecoder decoder = new TextDecoder(StandardCharsets.ISO_8859_1);
    int documents = 0;
    int shortcutLines = 0;
    int shortcutFiles = 0;
    for (int trial = 0; trial < 1_500; trial++) {
      byte[] f = file(rnd);
      for (TextSplit split : TextSplit.values()) {
        ReaderOptions o = ReaderOptions.defaults().withTextSplit(split);
        List<RawDocument> reference = read(f, o, false);
        assertEquals(reference, read(f, o, true), () -> split + " " + new String(f, StandardCharsets.UTF_8));
        documents += reference.size();
      }
      // How many lines and whole files take the shortcut, so that the comparison above is not vacuous.
      shortcutFiles += decoder.decode(f, 0, f.length).normalized() ? 1 : 0;
      int start = 0;
      for (int i = 0; i <= f.length; i++) {
        if (i == f.length || f[i] == '\n') {
          TextDecoder.Decoded d = decoder.decode(f, start, i - start);
          shortcutLines += d.normalized() ? 1 : 0;
          start = i + 1;
        }
      }
    }
    assertTrue(documents > 20_000 && shortcutLines > 10_000 && shortcutFiles > 100,
        "documents " + documents + ", lines found normalised " + shortcutLines + ", files " + shortcutFiles);
  }

  private static final String[] JSON_PIECES = {
    "ção", "é", "\\n", "\\t", "\\\"", "\\\\", "\\u00e9", "\\u0301", "\\ud83d\\ude00", "\\u0000", "\\u0001",
    "\\u2028", "日", "\uD83D\uDE00", "\u2014", "e\u0301", "/", "\\/", "  ",
  };

  private static String jsonString(Random rnd) {
    StringBuilder sb = new StringBuilder("\"");
    for (int k = rnd.nextInt(12); k > 0; k--) {
      if (rnd.nextInt(3) == 0) {
        sb.append(JSON_PIECES[rnd.nextInt(JSON_PIECES.length)]);
      } else {
        word(rnd, sb);
        sb.append(' ');
      }
    }
    return sb.append('"').toString();
  }

  private static String jsonValue(Random rnd, int depth) {
    switch (rnd.nextInt(depth > 1 ? 6 : 8)) {
      case 0: return "null";
      case 1: return rnd.nextBoolean() ? "true" : "false";
      case 2: return Integer.toString(rnd.nextInt(2000) - 1000);
      case 3: return "1.5e" + rnd.nextInt(40);
      case 4:
      case 5: return jsonString(rnd);
      case 6: return "[" + jsonValue(rnd, depth + 1) + ", " + jsonValue(rnd, depth + 1) + "]";
      default: return "{\"k\": " + jsonValue(rnd, depth + 1) + "}";
    }
  }

  private static byte[] jsonl(Random rnd) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (rnd.nextInt(8) == 0) {
      out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
    }
    for (int line = rnd.nextInt(30); line > 0; line--) {
      StringBuilder sb = new StringBuilder("{");
      int kind = rnd.nextInt(20);
      if (kind > 2) {
        sb.append("\"text\": ").append(kind == 3 ? jsonValue(rnd, 1) : jsonString(rnd));
      } else {
        sb.append("\"body\": ").append(jsonString(rnd));
      }
      for (int f = rnd.nextInt(4); f > 0; f--) {
        sb.append(", \"f").append(rnd.nextInt(3)).append("\": ").append(jsonValue(rnd, 1));
      }
      sb.append('}');
      String s = sb.toString();
      switch (rnd.nextInt(25)) {
        case 0 -> s = s.substring(0, rnd.nextInt(s.length()));            // truncated
        case 1 -> s = "[" + s + "]";                                        // not an object
        case 2 -> s = s + " x";                                             // trailing tokens
        case 3 -> s = s.replaceFirst(" ", "\u0001");                       // a raw control character
        case 4 -> s = "  " + jsonValue(rnd, 1);
        default -> { }
      }
      boolean latin1 = rnd.nextInt(10) == 0 && StandardCharsets.ISO_8859_1.newEncoder().canEncode(s);
      out.writeBytes(s.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8));
      out.write('\n');
      if (rnd.nextInt(6) == 0) {
        out.write('\n');
      }
    }
    return out.toByteArray();
  }

  @Test
  void jsonlRecordsParsedFromBytesAreThoseOfTheStringParser() {
    Random rnd = new Random(20261202L);
    TextDecoder decoder = new TextDecoder(StandardCharsets.ISO_8859_1);
    ReaderOptions o = ReaderOptions.defaults();
    int records = 0;
    int fromBytes = 0;
    int malformedFromBytes = 0;
    for (int trial = 0; trial < 1_500; trial++) {
      byte[] f = jsonl(rnd);
      List<RawDocument> reference = new ArrayList<>();
      DocumentReader.read(new ByteArrayInputStream(f), InputFormat.JSONL, o, false).forEachRemaining(reference::add);
      List<RawDocument> fast = new ArrayList<>();
      DocumentReader.read(new ByteArrayInputStream(f), InputFormat.JSONL, o, true).forEachRemaining(fast::add);
      assertEquals(reference, fast, () -> new String(f, StandardCharsets.UTF_8));
      records += reference.size();
      int start = 0;
      for (int i = 0; i < f.length; i++) {
        if (f[i] == '\n') {
          int s = decoder.cleanUtf8Start(f, start, i - start);
          if (s >= 0 && i > start) {
            fromBytes++;
            String line = new String(f, s, i - s, StandardCharsets.UTF_8);
            malformedFromBytes += line.startsWith("{") && line.endsWith("}") ? 0 : 1;
          }
          start = i + 1;
        }
      }
    }
    assertTrue(records > 15_000 && fromBytes > 15_000 && malformedFromBytes > 1_000,
        "records " + records + ", lines parsed from bytes " + fromBytes + ", of them not an object's text "
            + malformedFromBytes);
  }
}
