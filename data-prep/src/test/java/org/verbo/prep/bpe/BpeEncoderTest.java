package org.verbo.prep.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BpeEncoderTest {

    static BpeModel hugs;
    static BpeModel corpus;

    @BeforeAll
    static void train() {
        hugs = BpeTrainer.train(BpeTrainerTest.hugs(), BpeTrainerConfig.defaults().withMinFrequency(1));
        corpus = BpeTrainer.train(BpeTrainer.countWords(TestCorpus.trainingDocuments(), PreTokenizer.gpt2()),
                BpeTrainerConfig.defaults().withVocabSize(800));
    }

    private int[] ids(BpeModel m, String... tokens) {
        int[] out = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = m.idOf(tokens[i]);
        }
        return out;
    }

    /** Merges of the hand-computed model (u g, u n, h ug, p un, p ug, hug s, b un) applied by hand. */
    @Test
    void encodesByMergeRankByHand() {
        BpeEncoder enc = new BpeEncoder(hugs);
        assertArrayEquals(ids(hugs, "hugs"), enc.encode("hugs"));
        assertArrayEquals(ids(hugs, "pug", "s"), enc.encode("pugs"));
        assertArrayEquals(ids(hugs, "b", "ug"), enc.encode("bug"));
        // " pun" is one piece: Ġ p u n -> (u n) -> Ġ p un -> (p un) -> Ġ pun
        assertArrayEquals(ids(hugs, "hug", "Ġ", "pun"), enc.encode("hug pun"));
        // "hugun": h u g u n: (u g) rank 0 first -> h ug u n -> (u n) -> h ug un -> (h ug) -> hug un
        assertArrayEquals(ids(hugs, "hug", "un"), enc.encode("hugun"));
    }

    @Test
    void specialTokensAreSplitOutOfTheText() {
        BpeEncoder enc = new BpeEncoder(hugs);
        assertArrayEquals(new int[] {hugs.idOf("hug"), 2, hugs.idOf("pun")}, enc.encode("hug</s>pun"));
        // Each stretch is pre-tokenized alone: the space before </s> is a piece of its own.
        assertArrayEquals(new int[] {hugs.idOf("hug"), hugs.idOf("Ġ"), 2}, enc.encode("hug </s>"));
        assertEquals("hug</s>pun", enc.decode(enc.encode("hug</s>pun")));
        assertEquals("hugpun", enc.decode(enc.encode("hug</s>pun"), true));
    }

    @Test
    void decodeOfEncodeIsIdentity() {
        BpeEncoder enc = new BpeEncoder(corpus);
        for (String text : TestCorpus.heldOutTexts()) {
            assertEquals(text, enc.decode(enc.encode(text)));
        }
        assertThrows(IllegalArgumentException.class, () -> enc.decode(new int[] {corpus.vocabSize()}));
    }

    @Test
    void heapMergeEqualsScanMergeOnLongWords() {
        BpeEncoder enc = new BpeEncoder(corpus);
        SplittableRandom rnd = new SplittableRandom(7);
        String alphabet = "aeiouçãnrstlm ";
        for (int trial = 0; trial < 300; trial++) {
            int n = rnd.nextInt(2, 400);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < n; i++) {
                sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            byte[] bytes = sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int[] symbols = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                symbols[i] = corpus.idOf(String.valueOf(ByteLevel.charOf(bytes[i])));
            }
            assertArrayEquals(enc.mergeByScan(symbols), enc.mergeByHeap(symbols), sb::toString);
        }
    }

    @Test
    void threadSafeAndCacheIndependent() throws Exception {
        BpeEncoder shared = new BpeEncoder(corpus, 50);
        BpeEncoder uncached = new BpeEncoder(corpus, 0);
        List<String> texts = TestCorpus.heldOutTexts();
        List<int[]> expected = new ArrayList<>();
        for (String t : texts) {
            expected.add(uncached.encode(t));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int thread = 0; thread < 4; thread++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 20; round++) {
                        for (int i = 0; i < texts.size(); i++) {
                            if (!java.util.Arrays.equals(expected.get(i), shared.encode(texts.get(i)))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdown();
        }
        assertTrue(shared.cachedPieces() <= 50 + 4, "bounded cache: " + shared.cachedPieces());
    }
}
