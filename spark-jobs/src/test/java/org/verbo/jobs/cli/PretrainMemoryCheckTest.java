package org.verbo.jobs.cli;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.verbo.models.ModelConfig;
import org.verbo.models.train.MemoryEstimate;
import org.verbo.models.train.TrainConfig;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PretrainMemoryCheckTest {

    private static MemoryEstimate bench7m() {
        return MemoryEstimate.of(ModelConfig.preset("bench-7m"), TrainConfig.builder().microBatchSize(8).build());
    }

    @Test
    void estimateCoversParametersGradientsAdamStateAndActivations() {
        ModelConfig m = ModelConfig.preset("bench-7m");
        MemoryEstimate e = bench7m();
        // By hand: AdamW keeps 2 moments, so params + grads + state = 4 P floats = 16 bytes a parameter, before the
        // activations, which for batch 8 x 256 must add at least the logits and their gradient (2 B T V floats).
        long floor = 16L * m.parameterCount() + 4L * 2 * 8 * m.contextLength() * m.vocabSize();
        assertTrue(e.offHeapBytes() > floor, e + " vs " + floor);
        assertTrue(e.offHeapMiB() < 4096, "and stays within reason: " + e.offHeapMiB() + " MiB");
    }

    @Test
    void anExecutorTooSmallForItsTrainersStopsTheRunWithOneLine() {
        SparkConf conf = new SparkConf(false).set("spark.executor.memory", "2g").set("spark.executor.cores", "4")
                .set("spark.executor.memoryOverhead", "512m");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainCommand.checkMemory(bench7m(), 4, conf, "spark://head:7077"));
        assertTrue(e.getMessage().startsWith("an executor runs 4 trainer(s)"), e.getMessage());
        assertTrue(e.getMessage().contains("set spark.executor.memoryOverhead >= "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void javacppIsBoundedToTheOverheadUnlessTheUserSaidOtherwise() {
        SparkConf conf = new SparkConf(false).set("spark.executor.memory", "4g").set("spark.executor.memoryOverhead", "3g")
                .set("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector");
        Map<String, String> extra = PretrainCommand.checkMemory(bench7m(), 2, conf, "yarn");
        assertEquals("--add-modules=jdk.incubator.vector -Dorg.bytedeco.javacpp.maxbytes=3072m "
                + "-Dorg.bytedeco.javacpp.maxphysicalbytes=7168m", extra.get("spark.executor.extraJavaOptions"));
        conf.set("spark.executor.extraJavaOptions", "-Dorg.bytedeco.javacpp.maxbytes=5g");
        assertTrue(PretrainCommand.checkMemory(bench7m(), 2, conf, "yarn").isEmpty());
        assertTrue(PretrainCommand.checkMemory(bench7m(), 2, conf, "local[2]").isEmpty(), "local: nothing to add");
    }
}
