package org.verbo.prep.bpe.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;
import org.verbo.prep.bpe.BpeTrainer;
import org.verbo.prep.bpe.BpeTrainerConfig;
import org.verbo.prep.bpe.PreTokenizer;

/**
 * Encoding throughput of verbo's {@link BpeEncoder} against Hugging Face tokenizers (Rust, via
 * DJL's {@code HuggingFaceTokenizer}) on the same documents and the same tokenizer.json, in one
 * JVM. A first pass over all documents warms the JIT and checks that both give the same ids; each
 * path then gets one more untimed pass, and the timed passes run round-robin across paths
 * ({@code --repeats} rounds); the best time per path is reported.
 * The "empty cache" row is one pass of a fresh verbo encoder (warm JIT): every distinct piece is
 * merged once. Run through {@code scripts/bench/tokenize.sh}.
 *
 * <pre>
 * --input FILE       UTF-8 text; documents are its paragraphs (default: generated text)
 * --mb N             size of the generated text in MB (default 4)
 * --tokenizer FILE   tokenizer.json to use (default: train one on the text)
 * --vocab N          vocab size when training (default 8192)
 * --repeats N        timed rounds (default 5)
 * --seed N           generator seed (default 1234)
 * </pre>
 */
public final class TokenizeBench {

    private TokenizeBench() {}

    public static void main(String[] args) throws IOException {
        try {
            run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("tokenize bench: " + e.getMessage());
            System.exit(2);
        }
    }

    private static void run(String[] args) throws IOException {
        Path input = null;
        Path tokenizer = null;
        double mb = 4;
        int vocab = 8192;
        int repeats = 5;
        long seed = 1234;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println("usage: tokenize.sh [--input FILE] [--mb 4] [--tokenizer FILE] [--vocab 8192]"
                        + " [--repeats 5] [--seed 1234]");
                return;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--input" -> input = Path.of(v);
                case "--tokenizer" -> tokenizer = Path.of(v);
                case "--mb" -> mb = Double.parseDouble(v);
                case "--vocab" -> vocab = Integer.parseInt(v);
                case "--repeats" -> repeats = Integer.parseInt(v);
                case "--seed" -> seed = Long.parseLong(v);
                default -> throw new IllegalArgumentException("unknown option " + a + " (see --help)");
            }
        }

        String text = input != null ? Files.readString(input, StandardCharsets.UTF_8) : generate(mb, seed);
        List<String> docs = new ArrayList<>();
        for (String p : text.split("\n\n")) {
            if (!p.isEmpty()) {
                docs.add(p);
            }
        }
        long bytes = text.getBytes(StandardCharsets.UTF_8).length;
        System.out.printf("text: %.2f MB, %d documents (%s)%n", bytes / 1e6, docs.size(),
                input != null ? input : "generated, seed " + seed);

        BpeModel model;
        if (tokenizer != null) {
            model = BpeModel.fromHuggingFaceJson(Files.readString(tokenizer, StandardCharsets.UTF_8));
            System.out.printf("tokenizer: %s (%d tokens)%n", tokenizer, model.vocabSize());
        } else {
            long t0 = System.nanoTime();
            Map<String, Long> counts = BpeTrainer.countWords(docs, PreTokenizer.gpt2());
            long t1 = System.nanoTime();
            model = BpeTrainer.train(counts, BpeTrainerConfig.defaults().withVocabSize(vocab));
            long t2 = System.nanoTime();
            System.out.printf("trained: %d tokens, %d merges, %d distinct words; count %.2f s, merges %.2f s%n",
                    model.vocabSize(), model.merges().size(), counts.size(), (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        }
        Path json = Files.createTempFile("verbo-bench-tokenizer", ".json");
        Files.writeString(json, model.toHuggingFaceJson(), StandardCharsets.UTF_8);

        BpeEncoder encoder = new BpeEncoder(model);
        String[] docArray = docs.toArray(new String[0]);
        int threads = Runtime.getRuntime().availableProcessors();
        List<String[]> rows = new ArrayList<>();
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(json,
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            // Warm-up (JIT) + parity check on every document.
            long tokens = 0;
            int mismatches = 0;
            for (String d : docArray) {
                int[] ours = encoder.encode(d);
                long[] theirs = hf.encode(d).getIds();
                tokens += ours.length;
                if (!Arrays.equals(Arrays.stream(ours).asLongStream().toArray(), theirs)) {
                    mismatches++;
                }
            }
            System.out.printf("parity: %d of %d documents differ; %d tokens (%.2f bytes/token)%n",
                    mismatches, docArray.length, tokens, (double) bytes / tokens);
            final long total = tokens;

            // A fresh encoder after the JIT warm-up: every distinct piece is a cache miss once.
            BpeEncoder cold = new BpeEncoder(model);
            long tCold = System.nanoTime();
            long coldTokens = 0;
            for (String d : docArray) {
                coldTokens += cold.encode(d).length;
            }
            double coldS = (System.nanoTime() - tCold) / 1e9;
            if (coldTokens != total) {
                throw new IllegalStateException("cold pass produced " + coldTokens + " tokens");
            }

            rows.add(row("verbo BpeEncoder, 1 thread, empty cache", total, bytes, coldS));

            List<String> names = List.of("verbo BpeEncoder, 1 thread", "HF tokenizers (DJL) encode, 1 thread",
                    "verbo BpeEncoder, " + threads + " threads", "HF tokenizers (DJL) batchEncode(256), rayon");
            List<Pass> passes = List.of(
                    () -> {
                        long n = 0;
                        for (String d : docArray) {
                            n += encoder.encode(d).length;
                        }
                        return n;
                    },
                    () -> {
                        long n = 0;
                        for (String d : docArray) {
                            n += hf.encode(d).getIds().length;
                        }
                        return n;
                    },
                    () -> IntStream.range(0, docArray.length).parallel()
                            .mapToLong(i -> encoder.encode(docArray[i]).length).sum(),
                    () -> {
                        long n = 0;
                        for (int from = 0; from < docArray.length; from += 256) {
                            String[] batch = Arrays.copyOfRange(docArray, from, Math.min(docArray.length, from + 256));
                            for (Encoding e : hf.batchEncode(batch)) {
                                n += e.getIds().length;
                            }
                        }
                        return n;
                    });
            double[] best = bestInterleaved(repeats, passes, total);
            for (int i = 0; i < names.size(); i++) {
                rows.add(row(names.get(i), total, bytes, best[i]));
            }
        } finally {
            Files.deleteIfExists(json);
        }

        System.out.println();
        System.out.printf("%-42s %12s %10s %9s%n", "encoder", "tokens/s", "MB/s", "seconds");
        for (String[] r : rows) {
            System.out.printf("%-42s %12s %10s %9s%n", (Object[]) r);
        }
        double ours = Double.parseDouble(rows.get(1)[1].replace(",", ""));
        double theirs = Double.parseDouble(rows.get(2)[1].replace(",", ""));
        System.out.printf("%nratio verbo / HF (single thread, warm): %.2fx%n", ours / theirs);
    }

    private interface Pass {
        long run();
    }

    /**
     * One untimed warm-up pass per path, then {@code repeats} rounds that time every path once
     * each, round-robin, so that a load change on a shared machine hits all paths alike; returns
     * the best time per path.
     */
    private static double[] bestInterleaved(int repeats, List<Pass> passes, long expectedTokens) {
        double[] best = new double[passes.size()];
        Arrays.fill(best, Double.MAX_VALUE);
        for (Pass p : passes) {
            p.run();
        }
        for (int r = 0; r < Math.max(1, repeats); r++) {
            for (int i = 0; i < passes.size(); i++) {
                long t0 = System.nanoTime();
                long n = passes.get(i).run();
                double s = (System.nanoTime() - t0) / 1e9;
                if (n != expectedTokens) {
                    throw new IllegalStateException("pass produced " + n + " tokens, expected " + expectedTokens);
                }
                best[i] = Math.min(best[i], s);
            }
        }
        return best;
    }

    private static String[] row(String name, long tokens, long bytes, double seconds) {
        return new String[] {name, String.format("%,.0f", tokens / seconds), String.format("%.2f", bytes / 1e6 / seconds),
            String.format("%.3f", seconds)};
    }

    // ---------------------------------------------------------------------------------------
    // Deterministic "real-ish" text: Zipf-distributed words (Portuguese, English, and synthetic
    // words from syllables for a long tail), sentences with punctuation, numbers, some code and
    // emoji, paragraphs of 1-8 sentences.
    // ---------------------------------------------------------------------------------------

    private static final String[] COMMON = (
            "the of and to in a is that for it as was with be by on not he I this are or his from at which but"
            + " have an they you were her she there been one all we their has would when if so no what can out"
            + " de a o que e do da em um para é com não uma os no se na por mais as dos como mas foi ao ele das"
            + " tem à seu sua ou ser quando muito há nos já está eu também só pelo pela até isso ela entre era"
            + " ação coração pão você informação educação população região então também através países além"
            + " model data training token text corpus language learning network system value result process"
            + " cidade governo trabalho tempo pessoas mundo história parte forma problema empresa projeto dia").split(" ");
    private static final String[] SYLLABLES = ("ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu ga ge"
            + " la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti"
            + " to tu va ve vi vo vu ção ções ão ões nh lh str pr tr an en in on un er ar or ir qu gu").split(" ");
    private static final String[] PUNCT = {".", ".", ".", ",", ";", ":", "!", "?"};
    private static final String[] EMOJI = {"😀", "👍", "🎉", "❤️", "👩‍💻", "🇧🇷", "🔥", "🤔"};
    private static final String CODE = "for (int i = 0; i < n; i++) {\n    sum += values[i] * weights[i];\n}\n"
            + "def mean(xs):\n    return sum(xs) / len(xs)\n";

    static String generate(double mb, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int vocabSize = 20000;
        String[] words = new String[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            if (i < COMMON.length) {
                words[i] = COMMON[i];
            } else {
                StringBuilder w = new StringBuilder();
                int syl = 1 + rnd.nextInt(4);
                for (int s = 0; s < syl; s++) {
                    w.append(SYLLABLES[rnd.nextInt(SYLLABLES.length)]);
                }
                words[i] = w.toString();
            }
        }
        // Zipf(1.0) over ranks by inverse CDF on the harmonic prefix sums.
        double[] cdf = new double[vocabSize];
        double sum = 0;
        for (int i = 0; i < vocabSize; i++) {
            sum += 1.0 / (i + 1);
            cdf[i] = sum;
        }
        long target = (long) (mb * 1_000_000);
        StringBuilder sb = new StringBuilder((int) target + 1024);
        while (sb.length() < target) {
            int sentences = 1 + rnd.nextInt(8);
            for (int s = 0; s < sentences; s++) {
                int n = 4 + rnd.nextInt(20);
                for (int k = 0; k < n; k++) {
                    int idx = Arrays.binarySearch(cdf, rnd.nextDouble() * sum);
                    String w = words[idx < 0 ? -idx - 1 : idx];
                    if (k == 0) {
                        w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
                    }
                    sb.append(w);
                    double r = rnd.nextDouble();
                    if (r < 0.03) {
                        sb.append(' ').append(rnd.nextInt(100_000));
                    } else if (r < 0.04) {
                        sb.append(' ').append(EMOJI[rnd.nextInt(EMOJI.length)]);
                    } else if (r < 0.08) {
                        sb.append(',');
                    }
                    if (k + 1 < n) {
                        sb.append(' ');
                    }
                }
                sb.append(PUNCT[rnd.nextInt(PUNCT.length)]).append(s + 1 < sentences ? " " : "");
            }
            sb.append(rnd.nextDouble() < 0.05 ? "\n\n" + CODE : "").append("\n\n");
        }
        return sb.toString();
    }
}
