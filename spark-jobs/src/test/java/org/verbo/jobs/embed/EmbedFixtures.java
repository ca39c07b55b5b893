package org.verbo.jobs.embed;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.verbo.embeddings.io.EmbeddingCheckpoint;
import org.verbo.embeddings.model.EmbeddingConfig;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.jobs.TestSpark;
import org.verbo.jobs.cli.Verbo;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.io.Checkpoints;
import org.verbo.prep.bpe.BpeModel;
import org.verbo.prep.bpe.BpeTrainer;
import org.verbo.prep.bpe.BpeTrainerConfig;
import org.verbo.prep.bpe.PreTokenizer;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Tiny tokenizers, decoders, embedders and tables made in the test (seeded), and a way to run the CLI. */
final class EmbedFixtures {
    static final String[] WORDS = ("o sistema arquivo pacote comando usuario rede disco memoria processo kernel "
            + "servidor cliente porta senha grupo modulo driver terminal janela texto editor copia backup log "
            + "instalar remover configurar montar iniciar parar listar mostrar criar apagar").split(" ");

    private EmbedFixtures() {
    }

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Verbo.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** A seeded sentence of n words. */
    static String sentence(Random r, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) b.append(' ');
            b.append(WORDS[r.nextInt(WORDS.length)]);
        }
        return Character.toUpperCase(b.charAt(0)) + b.substring(1) + ".";
    }

    static Path tokenizer(Path dir) throws Exception {
        Random r = new Random(7);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 200; i++) texts.add(sentence(r, 12));
        BpeModel tok = BpeTrainer.train(BpeTrainer.countWords(texts, PreTokenizer.gpt2()),
                BpeTrainerConfig.defaults().withVocabSize(300));
        Files.createDirectories(dir);
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, tok.toHuggingFaceJson());
        return f;
    }

    static LlamaModel decoder(int vocab) {
        return LlamaModel.initialize(new ModelConfig(vocab, 32, 2, 4, 2, 64, 64, 10000.0, 1e-5, false), 11);
    }

    /** A decoder checkpoint (as pretrain writes: config.json, model.safetensors, tokenizer.json). */
    static Path decoderCheckpoint(Path dir, Path tokenizer) throws Exception {
        int vocab = BpeModel.fromHuggingFaceJson(Files.readString(tokenizer)).vocabSize();
        Files.createDirectories(dir);
        Checkpoints.saveModel(decoder(vocab), dir, Map.of());
        Files.copy(tokenizer, dir.resolve("tokenizer.json"));
        return dir;
    }

    /** An untrained embedder (latent attention, bidirectional, max length 32). */
    static Path embedder(Path dir, Path tokenizer) throws Exception {
        int vocab = BpeModel.fromHuggingFaceJson(Files.readString(tokenizer)).vocabSize();
        LlamaModel d = decoder(vocab);
        EmbeddingConfig c = EmbeddingConfig.nvEmbed(d.config());
        c = new EmbeddingConfig(c.pooling(), c.numLatents(), c.numHeads(), c.headDim(), c.ffnMult(), c.attention(), 32,
                c.template(), c.similarity());
        EmbeddingModel m = EmbeddingModel.create(d, c, 5);
        EmbeddingCheckpoint.save(m, dir, Map.of("task", "test task"), List.of(tokenizer));
        return dir;
    }

    /** A Parquet table (id, text, source) of n seeded rows, plus the bad rows given. */
    static Path table(Path dir, int n, long seed, List<Row> extra) {
        Random r = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create("doc-" + i, sentence(r, 3 + r.nextInt(30)), "src-" + (i % 3)));
        }
        rows.addAll(extra);
        StructType schema = new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType)
                .add("source", DataTypes.StringType);
        Dataset<Row> df = TestSpark.session().createDataFrame(rows, schema).repartition(3);
        df.write().parquet(dir.toString());
        return dir;
    }
}
