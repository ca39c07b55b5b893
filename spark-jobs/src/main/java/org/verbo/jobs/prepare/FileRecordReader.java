package org.verbo.jobs.prepare;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.prep.io.DocumentReader;
import org.verbo.prep.io.RawDocument;
import org.verbo.prep.io.ReaderOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Streams the records of one text / JSONL / HTML file as {@link DocRows} rows, inside a Spark task. Content
 * problems come back from data-prep's {@link DocumentReader} as rejections; a failure of the stream itself
 * (a truncated gzip, a vanished file) ends the file with one {@code read_error} row, so a bad file is
 * counted, never fatal to the job and never silently dropped.
 */
final class FileRecordReader implements Iterator<Row> {

    private final InputFile file;
    private final String jsonIdField;
    private InputStream in;
    private Iterator<RawDocument> records;
    private Row next;
    private boolean done;
    private long lastIndex = -1;

    FileRecordReader(InputFile file, ReaderOptions options, String jsonIdField, Configuration conf) {
        this.file = file;
        this.jsonIdField = jsonIdField;
        try {
            in = HadoopFiles.openMaybeCompressed(new Path(file.path()), conf);
            records = DocumentReader.read(in, file.format(), options);
        } catch (IOException | RuntimeException e) {
            next = readError(0, e);
            records = null;
        }
    }

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        if (done || records == null) {
            close();
            return false;
        }
        try {
            if (!records.hasNext()) {
                close();
                return false;
            }
            next = toRow(records.next());
        } catch (UncheckedIOException e) {
            next = readError(lastIndex + 1, e);
            records = null;
        }
        return true;
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Row r = next;
        next = null;
        return r;
    }

    private Row toRow(RawDocument d) {
        lastIndex = d.index();
        long key = DocRows.docKey(file.ordinal(), d.index());
        Map<String, String> meta = d.metadata();
        String id = file.recordId(d.index());
        if (!jsonIdField.isEmpty() && meta != null && meta.get(jsonIdField) != null) {
            id = meta.get(jsonIdField);
        }
        if (d.rejectReason() != null) {
            return DocRows.rejected(key, id, file.path(), DocRows.STAGE_READ, d.rejectReason(), d.rejectDetail());
        }
        return DocRows.doc(key, id, file.path(), d.text(), meta, d.usedFallbackCharset());
    }

    private Row readError(long index, Exception e) {
        done = true;
        close();
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return DocRows.rejected(DocRows.docKey(file.ordinal(), index), file.recordId(index), file.path(),
                DocRows.STAGE_READ, "read_error", cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    private void close() {
        done = true;
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // the records are read; a failing close changes nothing we report
            }
            in = null;
        }
    }
}
