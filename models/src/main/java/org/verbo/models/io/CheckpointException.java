package org.verbo.models.io;

/** A checkpoint that cannot be read or does not fit the model; the message names the file and the problem. */
public final class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
