package org.verbo.jobs.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The encoding path used inside Spark tasks: verbo's own {@link BpeEncoder} (default; faster here, see
 * docs/BENCHMARKS.md) or Hugging Face tokenizers through DJL. Both give identical ids (parity test in
 * data-prep). One instance per task.
 */
public interface TokenEncoder extends AutoCloseable {

    int[] encode(String text);

    @Override
    void close();

    static TokenEncoder create(String kind, String tokenizerJson) {
        if (kind.equals("hf")) {
            return new Hf(tokenizerJson);
        }
        BpeEncoder enc = new BpeEncoder(BpeModel.fromHuggingFaceJson(tokenizerJson));
        return new TokenEncoder() {
            @Override
            public int[] encode(String text) {
                return enc.encode(text);
            }

            @Override
            public void close() {
            }
        };
    }

    /** DJL's HuggingFaceTokenizer, without special tokens and without truncation. */
    final class Hf implements TokenEncoder {
        private final HuggingFaceTokenizer tokenizer;

        Hf(String json) {
            try {
                tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
                        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public int[] encode(String text) {
            Encoding e = tokenizer.encode(text, false, false);
            long[] ids = e.getIds();
            int[] out = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                out[i] = (int) ids[i];
            }
            return out;
        }

        @Override
        public void close() {
            tokenizer.close();
        }
    }
}
