package org.verbo.prep.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    /**
     * Word counts of the HF course's BPE example. With no special tokens the 256 byte-level symbols
     * take ids 0..255 in code-point order, so a printable ASCII char c has id c - 33 ('b' 65, 'g' 70,
     * 'h' 71, 'n' 77, 'p' 79, 's' 82, 'u' 84).
     *
     * <pre>
     * words: hug×10  pug×5  pun×12  bun×4  hugs×5
     * pairs: u g = 10+5+5 = 20, p u = 5+12 = 17, u n = 12+4 = 16, h u = 10+5 = 15, g s = 5, b u = 4
     * 1. (u, g) 20 -> "ug" (256): h ug ×10, p ug ×5, h ug s ×5; now h ug 15, p ug 5, ug s 5
     * 2. (u, n) 16 -> "un" (257): p un ×12, b un ×4
     * 3. (h, ug) 15 -> "hug" (258): hugs becomes hug s, so ug s 0 and hug s 5
     * 4. (p, un) 12 -> "pun" (259)
     * 5. tie at 5 between (p, ug) = (79, 256) and (hug, s) = (258, 82): HF picks the smaller id
     *    pair, (p, ug) -> "pug" (260) (comparing strings would have picked "hug s")
     * 6. (hug, s) 5 -> "hugs" (261)
     * 7. (b, un) 4 -> "bun" (262)
     * </pre>
     */
    static Map<String, Long> hugs() {
        Map<String, Long> wc = new LinkedHashMap<>();
        wc.put("hug", 10L);
        wc.put("pug", 5L);
        wc.put("pun", 12L);
        wc.put("bun", 4L);
        wc.put("hugs", 5L);
        return wc;
    }

    static final List<String> HUGS_MERGES = List.of("u g", "u n", "h ug", "p un", "p ug", "hug s", "b un");

    private static BpeTrainerConfig config(int vocab, long minFrequency) {
        return new BpeTrainerConfig(vocab, List.of(), minFrequency, PreTokenizer.GPT2_PATTERN);
    }

    private static List<String> mergeStrings(BpeModel m) {
        return mergeStrings(m.merges());
    }

    private static List<String> mergeStrings(List<String[]> merges) {
        List<String> out = new ArrayList<>();
        for (String[] pair : merges) {
            out.add(pair[0] + " " + pair[1]);
        }
        return out;
    }

    @Test
    void firstMergesMatchTheHandComputation() {
        BpeModel m = BpeTrainer.train(hugs(), config(1000, 1));
        assertEquals(HUGS_MERGES, mergeStrings(m));
        assertEquals(256 + 7, m.vocabSize());
        assertEquals(65, m.idOf("b"));
        assertEquals(84, m.idOf("u"));
        assertEquals(256, m.idOf("ug"));
        assertEquals(260, m.idOf("pug"));
        assertEquals(262, m.idOf("bun"));
    }

    @Test
    void minFrequencyAndVocabSizeStopTraining() {
        assertEquals(HUGS_MERGES.subList(0, 6), mergeStrings(BpeTrainer.train(hugs(), config(1000, 5))));
        BpeModel three = BpeTrainer.train(hugs(), config(259, 1));
        assertEquals(HUGS_MERGES.subList(0, 3), mergeStrings(three));
        assertEquals(259, three.vocabSize());
    }

    @Test
    void specialTokensTakeTheFirstIds() {
        BpeTrainerConfig cfg = BpeTrainerConfig.defaults().withVocabSize(600);
        BpeModel m = BpeTrainer.train(BpeTrainer.countWords(TestCorpus.trainingDocuments(), PreTokenizer.gpt2()), cfg);
        assertEquals(List.of("<unk>", "<s>", "</s>", "<pad>"), m.specialTokens());
        for (int i = 0; i < 4; i++) {
            assertEquals(i, m.idOf(cfg.specialTokens().get(i)));
        }
        assertEquals(4, m.idOf("!")); // the first byte-level symbol by code point
        assertEquals(4 + 255, m.idOf("\u0143")); // the last one
        assertEquals(600, m.vocabSize(), "enough pairs exist: the vocab is exactly as configured");
        assertEquals(600 - 4 - 256, m.merges().size());
    }

    @Test
    void deterministicWhateverTheMapOrder() {
        Map<String, Long> counts = BpeTrainer.countWords(TestCorpus.trainingDocuments(), PreTokenizer.gpt2());
        BpeTrainerConfig cfg = BpeTrainerConfig.defaults().withVocabSize(700);
        BpeModel a = BpeTrainer.train(new HashMap<>(counts), cfg);
        BpeModel b = BpeTrainer.train(new TreeMap<>(counts), cfg);
        Map<String, Long> reversed = new LinkedHashMap<>();
        new TreeMap<>(counts).descendingMap().forEach(reversed::put);
        BpeModel c = BpeTrainer.train(reversed, cfg);
        assertEquals(a, b);
        assertEquals(a, c);
        assertEquals(a.sha256(), c.sha256());
    }

    /**
     * Golden merges from Hugging Face tokenizers itself (npm {@code tokenizers} 0.23.2, script
     * {@code src/test/resources/bpe/hf-trainer-golden.js}): its default BpeTrainer (min_frequency 0,
     * vocab 30000, no special tokens, alphabet = chars seen) trained on corpus-train.txt read as
     * lines with endings, pre-tokenizer Split(GPT-2 regex) + ByteLevel. Training runs until no
     * pair is left, so the 1672 merges include many ties at count 1 and 2: they check the
     * tie-breaking as well as the counting.
     */
    @Test
    void mergesEqualHuggingFaceTrainerGolden() {
        Map<String, Long> counts = BpeTrainer.countWords(
                TestCorpus.linesWithEndings(TestCorpus.resource("corpus-train.txt")), PreTokenizer.gpt2());
        BpeTrainer.Result r = BpeTrainer.train(counts, config(30000, 0), null, false);
        List<String> golden = TestCorpus.linesWithEndings(TestCorpus.resource("hf-trainer-golden-merges.txt"))
                .stream().map(String::strip).toList();
        assertEquals(1672, golden.size());
        List<String> ours = mergeStrings(r.merges());
        assertEquals(1844, r.tokens().size(), "HF's vocab: 172 chars seen + 1672 merged tokens");
        for (int i = 0; i < Math.min(golden.size(), ours.size()); i++) {
            assertEquals(golden.get(i), ours.get(i), "merge #" + i);
        }
        assertEquals(golden.size(), ours.size());
    }

    @Test
    void reportsProgress() {
        List<String> lines = new ArrayList<>();
        BpeTrainer.train(BpeTrainer.countWords(TestCorpus.trainingDocuments(), PreTokenizer.gpt2()),
                BpeTrainerConfig.defaults().withVocabSize(500), lines::add);
        assertTrue(lines.size() >= 2, lines.toString());
        assertTrue(lines.get(0).contains("merges/s"), lines.get(0));
        assertTrue(lines.get(lines.size() - 1).contains("done"), lines.toString());
    }

    @Test
    void rejectsWordsThatAreNotByteLevel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BpeTrainer.train(Map.of("a b", 3L), config(300, 1)));
        assertTrue(e.getMessage().contains("ByteLevel.encode"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train(Map.of("ab", 0L), config(300, 1)));
    }

    @Test
    void aRepeatedPairMergesEveryOccurrenceLeftToRight() {
        // "aaaa"×1: (a,a) counts 3 overlapping; merging left to right gives aa aa, then (aa,aa).
        BpeModel m = BpeTrainer.train(Map.of("aaaa", 1L), config(1000, 1));
        assertEquals(List.of("a a", "aa aa"), mergeStrings(m));
        assertArrayEquals(new int[] {m.idOf("aaaa")}, new BpeEncoder(m).encode("aaaa"));
        assertFalse(m.contains("aaa"));
    }

    @Test
    void configValidation() {
        assertThrows(IllegalArgumentException.class, () -> config(100, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new BpeTrainerConfig(1000, List.of("<s>", "<s>"), 1, PreTokenizer.GPT2_PATTERN));
        assertThrows(IllegalArgumentException.class, () -> config(1000, -1));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainerConfig(1000, List.of(), 1, "("));
        BpeTrainerConfig fromConf = BpeTrainerConfig.from(com.typesafe.config.ConfigFactory.parseString(
                "vocab_size = 4096\nspecial_tokens = [\"<s>\", \"</s>\"]"));
        assertEquals(new BpeTrainerConfig(4096, List.of("<s>", "</s>"), 2, PreTokenizer.GPT2_PATTERN), fromConf);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BpeTrainerConfig.from(
                com.typesafe.config.ConfigFactory.parseString("vocab_size = lots")));
        assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
    }
}
