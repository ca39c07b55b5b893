package org.verbo.prep.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The in-place helpers of the quality filters against the library calls they replace, exactly, on seeded
 * random strings over alphabets that hold every special case: {@link StopWordSet} against {@code
 * Set.contains(toLowerCase(Locale.ROOT))}, {@link TextStats#splitOnLineFeeds} against {@link Pattern#split},
 * {@link TextStats#nonBlankLineRanges} and {@link TextStats#duplicates(String, TextStats.Ranges)} against
 * their string twins in {@link ReferenceQualityFilters}, {@link SpanSet#hash} against {@link String#hashCode}, {@link C4QualityFilter#sentenceCount} against the look-behind split, and {@link
 * FineWebQualityFilter#charsWithoutLineFeeds} against counting after {@code replace}.
 */
class QualityHelpersParityTest {

  private static final String[] PIECES = {
    "a", "A", "b", "de", "DE", "The", "e", "É", "é", "\u0130", "i", "\u03A3", "\u03C3", "\u212A", "k", "\u00DF",
    "\u1E9E", "𝔸", "\uD801\uDC00", "\uD800", "\uDC00", "\u0301", " ", "\t", "\u000B", "\u001C", "\u00A0", "\u2003",
    "\n", "\n\n", "\n\n\n", "\r", ".", "!", "?", "\u2026", "\"", "'", "\u201D", "\u2019", "\u00BB", ")", "]", "[",
  };

  private static String random(Random rnd, int maxPieces) {
    StringBuilder sb = new StringBuilder();
    for (int i = rnd.nextInt(maxPieces + 1); i > 0; i--) {
      sb.append(PIECES[rnd.nextInt(PIECES.length)]);
    }
    return sb.toString();
  }

  @Test
  void stopWordSetAgreesWithLowerCaseContains() {
    Set<String> words = new java.util.HashSet<>(StopWordLists.union(List.of("pt", "en")));
    // Lower-case forms that only the special cases produce: "i̇" (from U+0130), σ/ς (from Σ), k (from K).
    words.addAll(List.of("i\u0307", "\u03C3", "\u03C2", "a\u03C2", "k", "\uD801\uDC28", "é", "ß"));
    StopWordSet fast = new StopWordSet(words);
    Random rnd = new Random(20261205L);
    List<String> probes = new ArrayList<>(words);
    for (int i = 0; i < 200_000; i++) {
      probes.add(random(rnd, 3));
    }
    for (String w : words) {
      probes.add(w.toUpperCase(Locale.ROOT));
      probes.add("x" + w.toUpperCase(Locale.ROOT) + "y");
    }
    for (String p : probes) {
      char[] text = ("<" + p + ">").toCharArray();
      assertEquals(words.contains(p.toLowerCase(Locale.ROOT)), fast.containsLowerCase(text, 1, 1 + p.length()),
          () -> QualityFiltersParityTest.escape(p));
    }
  }

  @Test
  void splitOnLineFeedsIsPatternSplit() {
    Pattern[] patterns = {Pattern.compile("\\n+"), Pattern.compile("\\n{2,}"), Pattern.compile("\\n{3,}")};
    Random rnd = new Random(20261206L);
    for (int trial = 0; trial < 30_000; trial++) {
      String s = random(rnd, 12);
      int from = rnd.nextInt(s.length() + 1);
      int to = from + rnd.nextInt(s.length() - from + 1);
      for (int min = 1; min <= 3; min++) {
        List<String> want = Arrays.asList(patterns[min - 1].split(s.substring(from, to)));
        TextStats.Ranges r = TextStats.splitOnLineFeeds(s, from, to, min);
        List<String> got = new ArrayList<>();
        for (int i = 0; i < r.count(); i++) {
          got.add(s.substring(r.start(i), r.end(i)));
        }
        assertEquals(want, got, QualityFiltersParityTest.escape(s));
        assertEquals(ReferenceQualityFilters.TextStats.duplicates(want)[0], TextStats.duplicates(s, r)[0]);
        assertEquals(ReferenceQualityFilters.TextStats.duplicates(want)[1], TextStats.duplicates(s, r)[1]);
      }
      List<String> lines = ReferenceQualityFilters.TextStats.nonBlankLines(s);
      TextStats.Ranges r = TextStats.nonBlankLineRanges(s);
      List<String> got = new ArrayList<>();
      for (int i = 0; i < r.count(); i++) {
        got.add(s.substring(r.start(i), r.end(i)));
      }
      assertEquals(lines, got, QualityFiltersParityTest.escape(s));
    }
  }

  @Test
  void sentenceCountIsTheLookBehindSplit() {
    Random rnd = new Random(20261207L);
    for (int trial = 0; trial < 100_000; trial++) {
      String line = random(rnd, 14);
      assertEquals(ReferenceQualityFilters.C4QualityFilter.sentenceCount(line), C4QualityFilter.sentenceCount(line),
          () -> QualityFiltersParityTest.escape(line));
    }
  }

  @Test
  void spanSetHashIsStringHashCode() {
    Random rnd = new Random(20261209L);
    for (int trial = 0; trial < 30_000; trial++) {
      String s = random(rnd, 12);
      int from = rnd.nextInt(s.length() + 1);
      int to = from + rnd.nextInt(s.length() - from + 1);
      assertEquals(s.substring(from, to).hashCode(), SpanSet.hash(s.toCharArray(), from, to));
    }
  }

  @Test
  void perThreadTablesAfterAHugeDocument() {
    // More words than the per-thread tables keep room for, then a small document on the same thread.
    Random rnd = new Random(20261214L);
    List<String> huge = new ArrayList<>();
    for (int i = 0; i < 300_000; i++) {
      huge.add("w" + rnd.nextInt(200_000));
    }
    assertEquals(GopherRepetitionFilter.duplicatedNgramChars(huge, 2), new WordNgrams(huge).duplicatedNgramChars(2));
    List<String> small = List.of("a", "b", "a", "b", "a", "b");
    assertEquals(GopherRepetitionFilter.topNgramChars(small, 2), new WordNgrams(small).topNgramChars(2));
    assertEquals(GopherRepetitionFilter.duplicatedNgramChars(small, 2), new WordNgrams(small).duplicatedNgramChars(2));
  }

  @Test
  void charsWithoutLineFeeds() {
    Random rnd = new Random(20261208L);
    for (int trial = 0; trial < 30_000; trial++) {
      String s = random(rnd, 12);
      assertEquals(TextStats.chars(s.replace("\n", "")), FineWebQualityFilter.charsWithoutLineFeeds(s),
          () -> QualityFiltersParityTest.escape(s));
    }
  }
}
