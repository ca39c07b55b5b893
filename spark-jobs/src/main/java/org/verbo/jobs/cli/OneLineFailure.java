package org.verbo.jobs.cli;

/**
 * A failure of the environment (not a usage mistake, not a bug) that one line explains, such as ND4J not loading on
 * the executors: printed alone, exit code 1, no stack trace.
 */
public final class OneLineFailure extends RuntimeException {
    public OneLineFailure(String line, Throwable cause) {
        super(line, cause);
    }
}
