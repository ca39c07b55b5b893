package org.verbo.prep.bpe;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * verbo's byte-level BPE encoder. Gives the same ids as Hugging Face tokenizers (and DJL's
 * {@code HuggingFaceTokenizer}) with {@code add_special_tokens=false} on the file
 * {@link BpeModel#toHuggingFaceJson()} writes; {@code HuggingFaceParityTest} checks it.
 *
 * <p>Pipeline, as in HF:
 * <ol>
 *   <li>special tokens: the text is split at special-token strings, leftmost-longest first (HF's
 *       {@code AddedVocabulary} uses Aho-Corasick with {@code LeftmostLongest}); each one becomes
 *       its id even though no special tokens are <em>added</em>;</li>
 *   <li>each stretch between them is pre-tokenized on its own ({@link PreTokenizer});</li>
 *   <li>each piece is UTF-8 encoded, one byte-level symbol per byte, then merged: repeatedly the
 *       adjacent pair with the lowest merge rank, leftmost first (HF's {@code Word::merge_all}).</li>
 * </ol>
 *
 * <p>Thread-safe: all tables are immutable after construction and the piece → ids cache is a
 * bounded {@link ConcurrentHashMap} (once full, new pieces are no longer cached, as in HF). One
 * encoder per executor JVM is enough; build it from the broadcast {@link BpeModel}.
 */
public final class BpeEncoder {

    /** Default number of cached pieces. */
    public static final int DEFAULT_CACHE_CAPACITY = 100_000;
    /** Pieces longer than this (in chars) are not cached. */
    private static final int MAX_CACHED_LENGTH = 128;
    /** Words of at most this many bytes use the scan merge; longer ones the heap merge. */
    static final int SCAN_MAX_SYMBOLS = 64;

    private static final int NO_RANK = Integer.MAX_VALUE;

    private final BpeModel model;
    private final PreTokenizer preTokenizer;
    private final int[] byteToId = new int[256];
    private final LongIntHashMap mergeRank;
    private final int[] rankToNewId;
    private final byte[][] idToBytes;
    private final boolean[] special;
    private final String[] specialsLongestFirst;
    private final int[] specialIds;
    private final boolean[] specialFirstChar = new boolean[Character.MAX_VALUE + 1];
    private final char singleFirstChar; // if all special tokens start with the same char, else 0
    private final ConcurrentHashMap<String, int[]> cache;
    private final int cacheCapacity;

    public BpeEncoder(BpeModel model) {
        this(model, DEFAULT_CACHE_CAPACITY);
    }

    /** @param cacheCapacity max cached pieces (0 disables the cache) */
    public BpeEncoder(BpeModel model, int cacheCapacity) {
        if (cacheCapacity < 0) {
            throw new IllegalArgumentException("cacheCapacity must be >= 0, got " + cacheCapacity);
        }
        this.model = model;
        this.preTokenizer = new PreTokenizer(model.pattern());
        this.cacheCapacity = cacheCapacity;
        this.cache = new ConcurrentHashMap<>(Math.min(cacheCapacity, 1 << 16));
        for (int b = 0; b < 256; b++) {
            byteToId[b] = model.idOf(String.valueOf(ByteLevel.charOf(b)));
        }
        List<String[]> merges = model.merges();
        mergeRank = new LongIntHashMap(merges.size());
        rankToNewId = new int[merges.size()];
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] m = merges.get(rank);
            // A repeated pair keeps its last rank, as HF's HashMap collect does.
            mergeRank.put(LongIntHashMap.pair(model.idOf(m[0]), model.idOf(m[1])), rank, -1);
            rankToNewId[rank] = model.idOf(m[0] + m[1]);
        }
        String[] tokens = model.tokensById();
        idToBytes = new byte[tokens.length][];
        for (int id = 0; id < tokens.length; id++) {
            // HF's ByteLevel decoder: a token whose chars are not all byte-level symbols (e.g. an
            // added token with a space) contributes its raw UTF-8 bytes.
            idToBytes[id] = ByteLevel.isByteLevel(tokens[id])
                    ? ByteLevel.decode(tokens[id])
                    : tokens[id].getBytes(StandardCharsets.UTF_8);
        }
        special = new boolean[tokens.length];
        specialsLongestFirst = model.specialTokens().stream()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toArray(String[]::new);
        specialIds = new int[specialsLongestFirst.length];
        char first = 0;
        boolean same = true;
        for (int i = 0; i < specialsLongestFirst.length; i++) {
            String s = specialsLongestFirst[i];
            specialIds[i] = model.idOf(s);
            special[specialIds[i]] = true;
            specialFirstChar[s.charAt(0)] = true;
            if (i == 0) {
                first = s.charAt(0);
            } else if (first != s.charAt(0)) {
                same = false;
            }
        }
        singleFirstChar = same ? first : 0;
    }

    public BpeModel model() {
        return model;
    }

    /** Token ids of {@code text}; no special tokens are added (see the class doc). */
    public int[] encode(String text) {
        IntBuffer out = new IntBuffer(Math.max(16, text.length() / 3));
        int segment = 0;
        int n = text.length();
        if (specialsLongestFirst.length > 0) {
            int i = nextSpecialCandidate(text, 0);
            while (i < n) {
                int k = specialAt(text, i);
                if (k >= 0) {
                    encodeSegment(text, segment, i, out);
                    out.add(specialIds[k]);
                    i += specialsLongestFirst[k].length();
                    segment = i;
                    i = nextSpecialCandidate(text, i);
                } else {
                    i = nextSpecialCandidate(text, i + 1);
                }
            }
        }
        encodeSegment(text, segment, n, out);
        return out.toArray();
    }

    private int nextSpecialCandidate(String text, int from) {
        if (singleFirstChar != 0) {
            int i = text.indexOf(singleFirstChar, from);
            return i < 0 ? text.length() : i;
        }
        int n = text.length();
        for (int i = from; i < n; i++) {
            if (specialFirstChar[text.charAt(i)]) {
                return i;
            }
        }
        return n;
    }

    /** Index (in {@link #specialsLongestFirst}) of the longest special token at {@code i}, or -1. */
    private int specialAt(String text, int i) {
        for (int k = 0; k < specialsLongestFirst.length; k++) {
            if (text.startsWith(specialsLongestFirst[k], i)) {
                return k;
            }
        }
        return -1;
    }

    private void encodeSegment(String text, int start, int end, IntBuffer out) {
        if (start < end) {
            preTokenizer.split(text, start, end, (s, e) -> encodePiece(text, s, e, out));
        }
    }

    private void encodePiece(String text, int start, int end, IntBuffer out) {
        String piece = text.substring(start, end);
        int[] ids = cacheCapacity > 0 ? cache.get(piece) : null;
        if (ids == null) {
            ids = bpe(piece);
            if (cacheCapacity > 0 && piece.length() <= MAX_CACHED_LENGTH && cache.size() < cacheCapacity) {
                cache.put(piece, ids);
            }
        }
        out.addAll(ids);
    }

    /** BPE of one pre-token (raw text, not yet byte-level mapped). */
    int[] bpe(String piece) {
        int n = piece.length();
        int[] s = new int[n];
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            char c = piece.charAt(i);
            if (c >= 128) {
                ascii = false;
                break;
            }
            s[i] = byteToId[c];
        }
        if (!ascii) {
            byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
            n = bytes.length;
            s = new int[n];
            for (int i = 0; i < n; i++) {
                s[i] = byteToId[bytes[i] & 0xFF];
            }
        }
        if (n == 1) {
            return s;
        }
        return n <= SCAN_MAX_SYMBOLS ? mergeByScan(s) : mergeByHeap(s);
    }

    private int rank(int left, int right) {
        return mergeRank.get(LongIntHashMap.pair(left, right), NO_RANK);
    }

    /**
     * Reference merge: scan for the lowest-rank pair, leftmost on ties; O(n²) but fastest for the
     * short words that make up nearly all text.
     */
    int[] mergeByScan(int[] symbols) {
        int[] s = symbols.clone();
        int len = s.length;
        int[] r = new int[len];
        for (int i = 0; i + 1 < len; i++) {
            r[i] = rank(s[i], s[i + 1]);
        }
        while (len > 1) {
            int best = NO_RANK;
            int at = -1;
            for (int i = 0; i + 1 < len; i++) {
                if (r[i] < best) {
                    best = r[i];
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            s[at] = rankToNewId[best];
            System.arraycopy(s, at + 2, s, at + 1, len - at - 2);
            System.arraycopy(r, at + 2, r, at + 1, len - at - 2);
            len--;
            if (at > 0) {
                r[at - 1] = rank(s[at - 1], s[at]);
            }
            if (at + 1 < len) {
                r[at] = rank(s[at], s[at + 1]);
            }
        }
        return len == s.length ? s : Arrays.copyOf(s, len);
    }

    /**
     * HF's {@code Word::merge_all}: a min-heap of (rank, position) over a linked list of symbols,
     * O(n log n); stale entries are skipped when popped. Same result as {@link #mergeByScan}.
     */
    int[] mergeByHeap(int[] symbols) {
        int n = symbols.length;
        int[] c = symbols.clone();
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] removed = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongMinHeap heap = new LongMinHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            int rk = rank(c[i], c[i + 1]);
            if (rk != NO_RANK) {
                heap.push(((long) rk << 32) | i);
            }
        }
        int alive = n;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rk = (int) (top >>> 32);
            int pos = (int) top;
            if (removed[pos] || next[pos] < 0) {
                continue;
            }
            int right = next[pos];
            if (rank(c[pos], c[right]) != rk) {
                continue; // stale: the pair at pos changed since this entry was pushed
            }
            c[pos] = rankToNewId[rk];
            removed[right] = true;
            alive--;
            next[pos] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = pos;
            }
            if (prev[pos] >= 0) {
                int p = prev[pos];
                int r2 = rank(c[p], c[pos]);
                if (r2 != NO_RANK) {
                    heap.push(((long) r2 << 32) | p);
                }
            }
            if (next[pos] >= 0) {
                int r2 = rank(c[pos], c[next[pos]]);
                if (r2 != NO_RANK) {
                    heap.push(((long) r2 << 32) | pos);
                }
            }
        }
        int[] out = new int[alive];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[k++] = c[i];
        }
        return out;
    }

    /** Decodes ids to text, special tokens included (HF {@code decode(ids, skip_special_tokens=false)}). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Concatenates the bytes of the tokens and decodes them as UTF-8; malformed sequences (a cut
     * through a multi-byte char) become U+FFFD, as in HF.
     *
     * @throws IllegalArgumentException on an id outside {@code [0, vocabSize)}
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        int total = 0;
        for (int id : ids) {
            if (id < 0 || id >= idToBytes.length) {
                throw new IllegalArgumentException("id " + id + " is outside [0, " + idToBytes.length + ")");
            }
            if (!(skipSpecialTokens && special[id])) {
                total += idToBytes[id].length;
            }
        }
        byte[] buf = new byte[total];
        int at = 0;
        for (int id : ids) {
            if (!(skipSpecialTokens && special[id])) {
                byte[] b = idToBytes[id];
                System.arraycopy(b, 0, buf, at, b.length);
                at += b.length;
            }
        }
        return new String(buf, StandardCharsets.UTF_8);
    }

    /** Number of pieces in the cache (for tests and benchmarks). */
    public int cachedPieces() {
        return cache.size();
    }

    /** Growable int array. */
    private static final class IntBuffer {
        private int[] a;
        private int n;

        IntBuffer(int capacity) {
            a = new int[capacity];
        }

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] v) {
            if (n + v.length > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, n + v.length));
            }
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** Binary min-heap of longs. */
    private static final class LongMinHeap {
        private long[] h;
        private int size;

        LongMinHeap(int capacity) {
            h = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == h.length) {
                h = Arrays.copyOf(h, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (h[parent] <= v) {
                    break;
                }
                h[i] = h[parent];
                i = parent;
            }
            h[i] = v;
        }

        long pop() {
            long top = h[0];
            long v = h[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < size && h[child + 1] < h[child]) {
                    child++;
                }
                if (h[child] >= v) {
                    break;
                }
                h[i] = h[child];
                i = child;
            }
            if (size > 0) {
                h[i] = v;
            }
            return top;
        }
    }
}
