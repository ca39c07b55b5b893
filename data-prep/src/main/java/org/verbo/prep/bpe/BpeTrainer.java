package org.verbo.prep.bpe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Learns byte-level BPE merges from pre-token counts (Sennrich et al. 2016, "Neural Machine
 * Translation of Rare Words with Subword Units"; byte-level variant: Radford et al. 2019, GPT-2).
 *
 * <p>Algorithm (the incremental one of HF tokenizers' {@code BpeTrainer}):
 * <ol>
 *   <li>ids: special tokens first, in config order, then the 256 byte-level symbols sorted by code
 *       point (so any input encodes without {@code <unk>}), then one id per new merged token;</li>
 *   <li>every word becomes a symbol array; count every adjacent pair (weighted by the word's count)
 *       and index pair → words that contain it;</li>
 *   <li>repeat: take the pair with the highest count, ties broken by the smallest {@code (left id,
 *       right id)} as HF does, so results are reproducible; merge it only in the words indexed
 *       under it, adjusting the counts of the neighbouring pairs by ± the word count; push pairs
 *       whose count grew on a max-heap. Entries whose count went stale are re-checked when popped
 *       (lazy invalidation), so each step costs O(words touched + log heap) instead of a rescan;</li>
 *   <li>stop at {@code vocabSize} tokens or when the best pair occurs fewer than
 *       {@code minFrequency} times.</li>
 * </ol>
 * A merge whose concatenation already is a token (e.g. {@code "ab"+"c"} after {@code "a"+"bc"})
 * reuses that id and adds a merge rule but no token, as in HF.
 *
 * <p>Memory: the symbol arrays of all words plus one index entry per (pair, word) occurrence; a few
 * hundred bytes per distinct word. The Spark job counts words in parallel; this runs on the driver.
 */
public final class BpeTrainer {

    private BpeTrainer() {}

    /** {@link #train(Map, BpeTrainerConfig, Consumer)} without progress lines. */
    public static BpeModel train(Map<String, Long> wordCounts, BpeTrainerConfig config) {
        return train(wordCounts, config, null);
    }

    /**
     * Trains a tokenizer.
     *
     * @param wordCounts byte-level-mapped pre-token → count, as {@link #countWords} produces (the
     *     Spark job does the same with {@link PreTokenizer#split} + {@link ByteLevel#encode})
     * @param progress receives a line every ~10% of the merges and at the end; may be null
     * @throws IllegalArgumentException if a word is empty, has a non-byte-level char, or a count ≤ 0
     */
    public static BpeModel train(Map<String, Long> wordCounts, BpeTrainerConfig config, Consumer<String> progress) {
        Result r = train(wordCounts, config, progress, true);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int id = 0; id < r.tokens().size(); id++) {
            vocab.put(r.tokens().get(id), id);
        }
        return new BpeModel(config.specialTokens(), vocab, r.merges(), config.pattern());
    }

    /**
     * @param fullByteAlphabet true: all 256 byte-level symbols; false: only the chars seen in the
     *     words, as HF's trainer does without an initial alphabet (used by the HF golden test)
     */
    static Result train(Map<String, Long> wordCounts, BpeTrainerConfig config, Consumer<String> progress,
            boolean fullByteAlphabet) {
        return new Run(config, progress).run(wordCounts, fullByteAlphabet);
    }

    /** Tokens by id and merges by rank, before they are checked into a {@link BpeModel}. */
    record Result(List<String> tokens, List<String[]> merges) {}

    /**
     * Adds the byte-level pre-tokens of {@code text} to {@code counts}: what the Spark job computes
     * per partition before summing on the driver.
     */
    public static void countWords(String text, PreTokenizer preTokenizer, Map<String, Long> counts) {
        preTokenizer.split(text, 0, text.length(),
                (s, e) -> counts.merge(ByteLevel.encodeText(text.substring(s, e)), 1L, Long::sum));
    }

    /** Word counts of all {@code texts}. */
    public static Map<String, Long> countWords(Iterable<String> texts, PreTokenizer preTokenizer) {
        Map<String, Long> counts = new HashMap<>();
        for (String t : texts) {
            countWords(t, preTokenizer, counts);
        }
        return counts;
    }

    /** One training run; holds the mutable state. */
    private static final class Run {
        private final BpeTrainerConfig config;
        private final Consumer<String> progress;

        // vocabulary
        private final List<String> idToToken = new ArrayList<>();
        private final Map<String, Integer> tokenToId = new HashMap<>();

        // words
        private int[][] syms;
        private int[] lens;
        private long[] counts;
        private int[] wordStamp;

        // pairs: key (left << 32 | right) -> index into the arrays below
        private LongIntHashMap pairIndex;
        private long[] pairKey = new long[1024];
        private long[] pairCount = new long[1024];
        private int[][] pairWords = new int[1024][];
        private int[] pairWordsLen = new int[1024];
        private int[] pairStamp = new int[1024];
        private int pairs;

        // max-heap on (count desc, key asc)
        private long[] heapCount = new long[1024];
        private long[] heapKey = new long[1024];
        private int heapSize;

        private int step = 1;
        private int[] grownList = new int[64];
        private int grownLen;

        Run(BpeTrainerConfig config, Consumer<String> progress) {
            this.config = config;
            this.progress = progress;
        }

        Result run(Map<String, Long> wordCounts, boolean fullByteAlphabet) {
            long t0 = System.nanoTime();
            for (String s : config.specialTokens()) {
                addToken(s);
            }
            // Alphabet sorted by code point, as HF's compute_alphabet sorts it.
            TreeSet<Character> alphabet = new TreeSet<>();
            if (fullByteAlphabet) {
                for (char c : ByteLevel.alphabetSorted()) {
                    alphabet.add(c);
                }
            }
            for (Map.Entry<String, Long> e : wordCounts.entrySet()) {
                String w = e.getKey();
                if (w == null || w.isEmpty()) {
                    throw new IllegalArgumentException("word counts contain an empty word");
                }
                if (e.getValue() == null || e.getValue() <= 0) {
                    throw new IllegalArgumentException("count of \"" + w + "\" must be > 0, got " + e.getValue());
                }
                for (int i = 0; i < w.length(); i++) {
                    char c = w.charAt(i);
                    if (ByteLevel.byteOf(c) < 0) {
                        throw new IllegalArgumentException(String.format(
                                "word \"%s\" has char U+%04X, which is not a byte-level symbol: map pre-tokens"
                                        + " with ByteLevel.encode before counting", w, (int) c));
                    }
                    if (!fullByteAlphabet) {
                        alphabet.add(c);
                    }
                }
            }
            for (char c : alphabet) {
                addToken(String.valueOf(c));
            }

            // Words as id arrays; sorted keys make the internal order independent of the map.
            String[] words = wordCounts.keySet().toArray(new String[0]);
            Arrays.sort(words);
            syms = new int[words.length][];
            lens = new int[words.length];
            counts = new long[words.length];
            wordStamp = new int[words.length];
            pairIndex = new LongIntHashMap(1 << 16);
            for (int w = 0; w < words.length; w++) {
                String word = words[w];
                int[] s = new int[word.length()];
                for (int i = 0; i < s.length; i++) {
                    s[i] = tokenToId.get(String.valueOf(word.charAt(i)));
                }
                syms[w] = s;
                lens[w] = s.length;
                counts[w] = wordCounts.get(word);
                for (int i = 0; i + 1 < s.length; i++) {
                    int p = pairIndexOf(LongIntHashMap.pair(s[i], s[i + 1]));
                    pairCount[p] += counts[w];
                    addWord(p, w);
                }
            }
            for (int p = 0; p < pairs; p++) {
                push(pairCount[p], pairKey[p]);
            }

            List<String[]> merges = new ArrayList<>();
            LongIntHashMap mergedPairs = new LongIntHashMap(1024);
            int target = config.vocabSize();
            int initialVocab = idToToken.size();
            int reportEvery = Math.max(1, (target - initialVocab) / 10);
            long minCount = Math.max(1, config.minFrequency());
            long tMerge = System.nanoTime();
            while (idToToken.size() < target && heapSize > 0) {
                long c = heapCount[0];
                long key = heapKey[0];
                pop();
                int p = pairIndex.get(key, -1);
                long current = pairCount[p];
                if (current != c) {
                    if (current > 0 && current < c) {
                        push(current, key); // count shrank since this entry was pushed
                    }
                    continue; // else a fresher entry is in the heap
                }
                if (c < minCount) {
                    break; // the best pair is too rare: so are all others
                }
                int a = LongIntHashMap.left(key);
                int b = LongIntHashMap.right(key);
                String merged = idToToken.get(a) + idToToken.get(b);
                Integer existing = tokenToId.get(merged);
                int newId = existing != null ? existing : addToken(merged);
                if (mergedPairs.put(key, merges.size(), -1) == -1) {
                    merges.add(new String[] {idToToken.get(a), idToToken.get(b)});
                }
                applyMerge(p, a, b, newId);
                if (progress != null && (idToToken.size() - initialVocab) % reportEvery == 0 && existing == null) {
                    report(merges.size(), idToToken.size(), target, tMerge);
                }
            }
            if (progress != null) {
                progress.accept(String.format("bpe: done, %d tokens, %d merges, %d words, %.1f s",
                        idToToken.size(), merges.size(), syms.length, (System.nanoTime() - t0) / 1e9));
            }
            return new Result(idToToken, merges);
        }

        private void report(int mergesDone, int vocab, int target, long tStart) {
            double s = (System.nanoTime() - tStart) / 1e9;
            double rate = mergesDone / Math.max(s, 1e-9);
            double eta = (target - vocab) / Math.max(rate, 1e-9);
            progress.accept(String.format("bpe: %d/%d tokens, %d merges, %.0f merges/s, eta %.0f s",
                    vocab, target, mergesDone, rate, eta));
        }

        private int addToken(String token) {
            Integer old = tokenToId.putIfAbsent(token, idToToken.size());
            if (old != null) {
                return old;
            }
            idToToken.add(token);
            return idToToken.size() - 1;
        }

        /** Replaces every (a, b) in the words indexed under pair {@code p} by {@code newId}. */
        private void applyMerge(int p, int a, int b, int newId) {
            step++;
            grownLen = 0;
            int[] ws = pairWords[p];
            int n = pairWordsLen[p];
            pairWords[p] = null;
            pairWordsLen[p] = 0;
            for (int k = 0; k < n; k++) {
                int w = ws[k];
                if (wordStamp[w] == step) {
                    continue; // listed twice
                }
                wordStamp[w] = step;
                mergeWord(w, a, b, newId);
            }
            pairCount[p] = 0; // every occurrence is gone
            for (int k = 0; k < grownLen; k++) {
                int q = grownList[k];
                if (pairCount[q] > 0) {
                    push(pairCount[q], pairKey[q]);
                }
            }
        }

        /**
         * Left-to-right in-place merge of one word, as HF's {@code Word::merge}: each replaced
         * occurrence removes (prev, a) and (b, next) and adds (prev, new) and (new, next). The
         * (prev, ·) side sees an earlier replacement in the same word, so "a b a b" nets
         * (b, a) −1 and (new, new) +1.
         */
        private void mergeWord(int w, int a, int b, int newId) {
            int[] s = syms[w];
            int len = lens[w];
            long cnt = counts[w];
            int out = 0;
            int i = 0;
            while (i < len) {
                if (i + 1 < len && s[i] == a && s[i + 1] == b) {
                    if (out > 0) {
                        int prev = s[out - 1];
                        delta(prev, a, -cnt, w);
                        delta(prev, newId, cnt, w);
                    }
                    if (i + 2 < len) {
                        int next = s[i + 2];
                        delta(b, next, -cnt, w);
                        delta(newId, next, cnt, w);
                    }
                    s[out++] = newId;
                    i += 2;
                } else {
                    s[out++] = s[i++];
                }
            }
            lens[w] = out;
        }

        private void delta(int left, int right, long d, int w) {
            int q = pairIndexOf(LongIntHashMap.pair(left, right));
            pairCount[q] += d;
            if (d > 0) {
                addWord(q, w);
                if (pairStamp[q] != step) {
                    pairStamp[q] = step;
                    if (grownLen == grownList.length) {
                        grownList = Arrays.copyOf(grownList, grownLen * 2);
                    }
                    grownList[grownLen++] = q;
                }
            }
        }

        private int pairIndexOf(long key) {
            int p = pairIndex.get(key, -1);
            if (p >= 0) {
                return p;
            }
            if (pairs == pairKey.length) {
                int cap = pairs * 2;
                pairKey = Arrays.copyOf(pairKey, cap);
                pairCount = Arrays.copyOf(pairCount, cap);
                pairWords = Arrays.copyOf(pairWords, cap);
                pairWordsLen = Arrays.copyOf(pairWordsLen, cap);
                pairStamp = Arrays.copyOf(pairStamp, cap);
            }
            p = pairs++;
            pairKey[p] = key;
            pairIndex.put(key, p, -1);
            return p;
        }

        private void addWord(int p, int w) {
            int[] ws = pairWords[p];
            int n = pairWordsLen[p];
            if (ws == null) {
                ws = pairWords[p] = new int[2];
            } else if (ws[n - 1] == w) {
                return; // consecutive duplicate
            } else if (n == ws.length) {
                ws = pairWords[p] = Arrays.copyOf(ws, n * 2);
            }
            ws[n] = w;
            pairWordsLen[p] = n + 1;
        }

        // ---- binary max-heap on (count desc, pair key asc) ----

        private static boolean above(long c1, long k1, long c2, long k2) {
            return c1 > c2 || (c1 == c2 && k1 < k2);
        }

        private void push(long count, long key) {
            if (heapSize == heapCount.length) {
                heapCount = Arrays.copyOf(heapCount, heapSize * 2);
                heapKey = Arrays.copyOf(heapKey, heapSize * 2);
            }
            int i = heapSize++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!above(count, key, heapCount[parent], heapKey[parent])) {
                    break;
                }
                heapCount[i] = heapCount[parent];
                heapKey[i] = heapKey[parent];
                i = parent;
            }
            heapCount[i] = count;
            heapKey[i] = key;
        }

        private void pop() {
            long count = heapCount[--heapSize];
            long key = heapKey[heapSize];
            int i = 0;
            int half = heapSize >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                int right = child + 1;
                if (right < heapSize && above(heapCount[right], heapKey[right], heapCount[child], heapKey[child])) {
                    child = right;
                }
                if (!above(heapCount[child], heapKey[child], count, key)) {
                    break;
                }
                heapCount[i] = heapCount[child];
                heapKey[i] = heapKey[child];
                i = child;
            }
            if (heapSize > 0) {
                heapCount[i] = count;
                heapKey[i] = key;
            }
        }
    }
}
