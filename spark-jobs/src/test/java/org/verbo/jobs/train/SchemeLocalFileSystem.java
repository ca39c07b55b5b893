package org.verbo.jobs.train;

import org.apache.hadoop.fs.RawLocalFileSystem;

import java.net.URI;

/**
 * The local disk under another scheme ({@code vtest:///tmp/x} is {@code /tmp/x}), so that tests exercise the code
 * paths of a non-local Hadoop file system (HDFS, S3A) without one: verbo treats only {@code file:} and bare paths as
 * local. Registered with {@code spark.hadoop.fs.vtest.impl}.
 */
public class SchemeLocalFileSystem extends RawLocalFileSystem {
    @Override
    public URI getUri() {
        return URI.create("vtest:///");
    }

    @Override
    public String getScheme() {
        return "vtest";
    }
}
