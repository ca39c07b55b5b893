package org.verbo.jobs.prepare;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.prep.io.DocumentReader;
import org.verbo.prep.io.Lookahead;
import org.verbo.prep.io.RawDocument;
import org.verbo.prep.io.ReaderOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Streams the records of one text / JSONL / HTML file as {@link DocRows} rows, inside a Spark task. Content
 * problems come back from data-prep's {@link DocumentReader} as rejections; a failure of the stream itself
 * (a truncated gzip, a vanished file) ends the file with one {@code read_error} row, so a bad file is
 * counted, never fatal to the job and never silently dropped.
 *
 * <p>Ids: with {@code idCol} set (JSONL only: text and HTML have no fields, {@link PrepareJob#preflight} refuses
 * them), a document's id is that field's value, taken out of its metadata; a non-string value is used as its JSON
 * text ({@code 7} → "7"). A missing, null or blank one is rejected as {@value #MISSING_ID}, or with
 * {@code generateMissingIds} gets the positional id {@code <file>#<line>}, flagged {@code id_generated}.
 */
final class FileRecordReader extends Lookahead<Row> {

    /** Reject reason: no usable id in the id field or column (stage read). */
    static final String MISSING_ID = "missing_id";

    private final InputFile file;
    private final String idCol;
    private final boolean generateMissingIds;
    private InputStream in;
    private Iterator<RawDocument> records;
    private Row openError;   // a file that could not be opened: its one read_error row, handed out first
    private boolean done;
    private long lastIndex = -1;

    FileRecordReader(InputFile file, ReaderOptions options, String idCol, boolean generateMissingIds, Configuration conf) {
        this.file = file;
        this.idCol = idCol;
        this.generateMissingIds = generateMissingIds;
        try {
            in = HadoopFiles.openMaybeCompressed(new Path(file.path()), conf);
            records = DocumentReader.read(in, file.format(), options);
        } catch (IOException | RuntimeException e) {
            openError = readError(0, e);
            records = null;
        }
    }

    @Override
    protected Row computeNext() {
        if (openError != null) {
            Row r = openError;
            openError = null;
            return r;
        }
        if (done || records == null) {
            close();
            return null;
        }
        try {
            if (!records.hasNext()) {
                close();
                return null;
            }
            return toRow(records.next());
        } catch (UncheckedIOException e) {
            records = null;
            return readError(lastIndex + 1, e);
        }
    }

    private Row toRow(RawDocument d) {
        lastIndex = d.index();
        long key = DocRows.docKey(file.ordinal(), d.index());
        String id = file.recordId(d.index());
        if (d.rejectReason() != null) {
            return DocRows.rejected(key, id, file.path(), DocRows.STAGE_READ, d.rejectReason(), d.rejectDetail());
        }
        if (idCol.isEmpty()) {
            return DocRows.doc(key, id, file.path(), d.text(), d.metadata(), d.usedFallbackCharset());
        }
        Map<String, String> meta = new LinkedHashMap<>(d.metadata());
        boolean present = meta.containsKey(idCol);
        String userId = meta.remove(idCol); // the id is a column of its own, as for Parquet
        if (userId != null && !userId.isBlank()) {
            return DocRows.doc(key, userId, file.path(), d.text(), meta, d.usedFallbackCharset());
        }
        if (generateMissingIds) {
            return DocRows.doc(key, id, file.path(), d.text(), meta, d.usedFallbackCharset(), true);
        }
        String why = !present ? "no field '" + idCol + "'" : userId == null ? "field '" + idCol + "' is null"
                : "field '" + idCol + "' is blank";
        return DocRows.rejected(key, id, file.path(), DocRows.STAGE_READ, MISSING_ID,
                why + " (prepare.missing_id=generate gives such records their positional id)");
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
