package org.verbo.prep.bpe;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Hyper-parameters of {@link BpeTrainer}.
 *
 * @param vocabSize target vocabulary size, special tokens and the 256 byte-level symbols included;
 *     training stops there or when no pair is left with {@code minFrequency} occurrences
 * @param specialTokens tokens that get the first ids, in this order (e.g. {@code <unk>}, {@code <s>},
 *     {@code </s>}, {@code <pad>}); written as HF added tokens with {@code special: true}
 * @param minFrequency a pair must occur at least this many times to be merged (0 and 1 both mean
 *     "any pair that occurs")
 * @param pattern pre-tokenizer regex (see {@link PreTokenizer}); words never merge across pieces
 */
public record BpeTrainerConfig(int vocabSize, List<String> specialTokens, long minFrequency, String pattern) {

    /** Largest accepted vocabulary (ids must fit the int32 shard dtype). */
    public static final int MAX_VOCAB_SIZE = 1 << 24;

    public BpeTrainerConfig {
        if (specialTokens == null) {
            throw new IllegalArgumentException("special_tokens must not be null (use an empty list)");
        }
        specialTokens = List.copyOf(specialTokens);
        Set<String> seen = new HashSet<>();
        for (String t : specialTokens) {
            if (t.isEmpty()) {
                throw new IllegalArgumentException("special_tokens must not contain an empty string");
            }
            if (!seen.add(t)) {
                throw new IllegalArgumentException("special_tokens contains \"" + t + "\" twice");
            }
        }
        int minVocab = ByteLevel.ALPHABET_SIZE + specialTokens.size();
        if (vocabSize < minVocab || vocabSize > MAX_VOCAB_SIZE) {
            throw new IllegalArgumentException("vocab_size must be in [" + minVocab + ", " + MAX_VOCAB_SIZE
                    + "] (256 byte-level symbols + " + specialTokens.size() + " special tokens at least), got "
                    + vocabSize);
        }
        if (minFrequency < 0) {
            throw new IllegalArgumentException("min_frequency must be >= 0, got " + minFrequency);
        }
        new PreTokenizer(pattern); // validates: blank or invalid regex -> IllegalArgumentException
    }

    /** 8192 tokens, {@code [<unk>, <s>, </s>, <pad>]}, min frequency 2, {@link PreTokenizer#GPT2_PATTERN}. */
    public static BpeTrainerConfig defaults() {
        return new BpeTrainerConfig(8192, List.of("<unk>", "<s>", "</s>", "<pad>"), 2, PreTokenizer.GPT2_PATTERN);
    }

    /** A copy with another vocabulary size. */
    public BpeTrainerConfig withVocabSize(int size) {
        return new BpeTrainerConfig(size, specialTokens, minFrequency, pattern);
    }

    /** A copy with another minimum pair frequency. */
    public BpeTrainerConfig withMinFrequency(long frequency) {
        return new BpeTrainerConfig(vocabSize, specialTokens, frequency, pattern);
    }

    /**
     * Reads keys {@code vocab_size}, {@code special_tokens}, {@code min_frequency}, {@code pattern}
     * from {@code config}; an absent key takes its {@link #defaults()} value. Other keys are left to
     * the caller.
     *
     * @throws IllegalArgumentException on a value of the wrong type or out of range
     */
    public static BpeTrainerConfig from(Config config) {
        BpeTrainerConfig d = defaults();
        try {
            return new BpeTrainerConfig(
                    config.hasPath("vocab_size") ? config.getInt("vocab_size") : d.vocabSize(),
                    config.hasPath("special_tokens") ? config.getStringList("special_tokens") : d.specialTokens(),
                    config.hasPath("min_frequency") ? config.getLong("min_frequency") : d.minFrequency(),
                    config.hasPath("pattern") ? config.getString("pattern") : d.pattern());
        } catch (ConfigException e) {
            throw new IllegalArgumentException("bad tokenizer config: " + e.getMessage(), e);
        }
    }
}
