package org.verbo.jobs.prepare;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.Map;

/**
 * The one row shape every prepare stage passes on: a document or, once {@code reason} is set, a rejection.
 * {@code doc_key} = file ordinal × 2³² + record index: the deterministic "first occurrence" order.
 * {@code id_generated}: the record had no id in the user's id field or column and got its positional id.
 */
public final class DocRows {

    public static final StructType SCHEMA = new StructType()
            .add("doc_key", DataTypes.LongType, false)
            .add("id", DataTypes.StringType, false)
            .add("source", DataTypes.StringType, false)
            .add("text", DataTypes.StringType, true)
            .add("metadata", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType), true)
            .add("stage", DataTypes.StringType, true)
            .add("reason", DataTypes.StringType, true)
            .add("detail", DataTypes.StringType, true)
            .add("fallback_decoded", DataTypes.BooleanType, false)
            .add("id_generated", DataTypes.BooleanType, false);

    /** Rejection stages, in pipeline order (report.json and the printed table use these). */
    public static final String STAGE_READ = "read";
    public static final String STAGE_NORMALISE = "normalise";
    public static final String STAGE_QUALITY = "quality";
    public static final String STAGE_EXACT = "exact_dedup";
    public static final String STAGE_NEAR = "near_dedup";

    private DocRows() {
    }

    public static long docKey(int fileOrdinal, long index) {
        if (index < 0 || index >= (1L << 32)) {
            throw new IllegalArgumentException("record index out of range for one file: " + index);
        }
        return ((long) fileOrdinal << 32) | index;
    }

    public static Row doc(long key, String id, String source, String text, Map<String, String> metadata, boolean fallback) {
        return doc(key, id, source, text, metadata, fallback, false);
    }

    public static Row doc(long key, String id, String source, String text, Map<String, String> metadata, boolean fallback,
                          boolean idGenerated) {
        return RowFactory.create(key, id, source, text, toScala(metadata), null, null, null, fallback, idGenerated);
    }

    public static Row rejected(long key, String id, String source, String stage, String reason, String detail) {
        return RowFactory.create(key, id, source, null, null, stage, reason, detail, false, false);
    }

    public static Row withText(Row r, String text) {
        return RowFactory.create(r.getLong(0), r.getString(1), r.getString(2), text, r.get(4), null, null, null, r.getBoolean(8),
                r.getBoolean(9));
    }

    public static Row reject(Row r, String stage, String reason, String detail) {
        return RowFactory.create(r.getLong(0), r.getString(1), r.getString(2), null, null, stage, reason, detail, r.getBoolean(8),
                r.getBoolean(9));
    }

    /** Row encoders take Scala maps for MAP columns. */
    private static scala.collection.Map<String, String> toScala(Map<String, String> m) {
        return m == null || m.isEmpty() ? null : scala.jdk.javaapi.CollectionConverters.asScala(m);
    }
}
