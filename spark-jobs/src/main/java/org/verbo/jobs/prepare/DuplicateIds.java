package org.verbo.jobs.prepare;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

/**
 * User-given ids are unique in the output: of the documents read with the same id, the first in input order
 * (smallest {@code doc_key}) keeps it and every later one is rejected as {@value #REASON} (stage read), before the
 * quality filters, so which record keeps an id does not depend on filter settings. Records already rejected pass
 * through untouched. Positional ids ({@code <file>#<index>}) are unique by construction; this step runs only when
 * the ids come from the user's field or column (generated ones included, which a user id may happen to equal).
 */
final class DuplicateIds {

    static final String REASON = "duplicate_id";

    private DuplicateIds() {
    }

    static Dataset<Row> rejectLaterOccurrences(Dataset<Row> rows) {
        // One window per (id, is-a-document): rejections never take an id from a document.
        WindowSpec byId = Window.partitionBy(col("id"), col("reason").isNull()).orderBy("doc_key");
        Dataset<Row> t = rows.withColumn("first_key", first("doc_key").over(byId))
                .withColumn("first_source", first("source").over(byId));
        Column dup = col("reason").isNull().and(col("doc_key").notEqual(col("first_key")));
        return t.select(col("doc_key"), col("id"), col("source"),
                when(dup, lit(null)).otherwise(col("text")).as("text"),
                when(dup, lit(null)).otherwise(col("metadata")).as("metadata"),
                when(dup, lit(DocRows.STAGE_READ)).otherwise(col("stage")).as("stage"),
                when(dup, lit(REASON)).otherwise(col("reason")).as("reason"),
                when(dup, concat(lit("same id as an earlier record of "), col("first_source"))).otherwise(col("detail"))
                        .as("detail"),
                col("fallback_decoded"), col("id_generated"));
    }
}
