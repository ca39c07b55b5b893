package org.verbo.models.bench;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.io.Checkpoints;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a seeded checkpoint (model.safetensors + config.json), one block of tokens ({@code tokens.bin}, int32 LE)
 * and verbo's logits for it ({@code logits.bin}, float32 LE, [T, V]) so an independent PyTorch implementation
 * (scripts/bench/train_torch.py --parity DIR) can load the checkpoint by its HF names and compare logits.
 * Usage: ParityDump [--preset=bench-7m] [--out=DIR]
 */
public final class ParityDump {
    private ParityDump() {
    }

    public static void main(String[] args) throws IOException {
        String preset = "bench-7m";
        Path out = Path.of("target/bench/train/parity");
        for (String a : args) {
            if (a.startsWith("--preset=")) {
                preset = a.substring(9);
            } else if (a.startsWith("--out=")) {
                out = Path.of(a.substring(6));
            } else {
                System.err.println("usage: ParityDump [--preset=bench-7m] [--out=DIR]");
                System.exit(2);
            }
        }
        ModelConfig mc = ModelConfig.preset(preset);
        LlamaModel model = LlamaModel.initialize(mc, 123);
        model.parameters().muli(5);   // larger weights than at init make attention and RoPE matter in the logits
        Files.createDirectories(out);
        Checkpoints.saveModel(model, out, null);
        Random rng = new Random(5);
        int t = mc.contextLength();
        int[] tokens = new int[t];
        for (int i = 0; i < t; i++) {
            tokens[i] = rng.nextInt(mc.vocabSize());
        }
        INDArray logits = model.logits(tokens, 1, t);
        ByteBuffer tb = ByteBuffer.allocate(4 * t).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : tokens) {
            tb.putInt(v);
        }
        Files.write(out.resolve("tokens.bin"), tb.array());
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(out.resolve("logits.bin")))) {
            ByteBuffer lb = ByteBuffer.allocate(4 * mc.vocabSize()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < t; i++) {
                lb.clear();
                for (float f : logits.getRow(i).toFloatVector()) {
                    lb.putFloat(f);
                }
                o.write(lb.array());
            }
        }
        System.out.println("wrote " + out);
    }
}
