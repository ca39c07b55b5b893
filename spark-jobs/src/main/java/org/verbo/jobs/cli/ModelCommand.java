package org.verbo.jobs.cli;

import org.verbo.models.BackendCheck;
import picocli.CommandLine.Option;

/**
 * The commands that run the model in this JVM (pretrain, evaluate, generate): before ND4J starts they check that
 * the ND4J backend can run here (a CUDA build on a GPU outside compute capability 3.7–8.6 stops with one line, or
 * runs on the CPU with {@code --cpu-fallback}).
 */
abstract class ModelCommand extends JobCommand {

    @Option(names = "--cpu-fallback", description = "With a CUDA build, run on the CPU when the GPU present is unsupported.")
    boolean cpuFallback;

    protected void checkBackend() {
        try {
            BackendCheck.Result r = BackendCheck.check(cpuFallback);
            say(r.line() + "; " + org.verbo.models.nn.Kernels.describe());
        } catch (BackendCheck.UnsupportedGpuException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
