package org.verbo.jobs.prepare;

import org.verbo.prep.io.InputFormat;

import java.io.Serializable;

/**
 * One input file, as the driver listed it: its ordinal in the sorted listing (the first half of
 * {@code doc_key}), its path, the format it is read as, and the id prefix for its records.
 */
public record InputFile(int ordinal, String path, InputFormat format, String idPrefix, long length) implements Serializable {
    public InputFile {
        if (ordinal < 0) {
            throw new IllegalArgumentException("ordinal must be >= 0");
        }
    }

    public String recordId(long index) {
        return idPrefix + "#" + index;
    }
}
