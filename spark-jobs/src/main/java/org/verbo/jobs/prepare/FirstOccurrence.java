package org.verbo.jobs.prepare;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.first;

/**
 * "The first in input order keeps it": of the rows that agree on some columns (an id, a text's hash), the one with the
 * smallest {@code doc_key} is the first occurrence and every other one a later occurrence. Duplicate ids and exact
 * dedup both decide this way, on a few columns, never the text.
 */
final class FirstOccurrence {

    private FirstOccurrence() {
    }

    /**
     * @param rows rows with {@code doc_key} and {@code carried} (and whatever else they carry along)
     * @return the later occurrences among {@code rows} grouped by {@code by}: their columns plus {@code first_<carried>},
     *     the first occurrence's value of {@code carried}
     */
    static Dataset<Row> later(Dataset<Row> rows, String carried, Column... by) {
        WindowSpec group = Window.partitionBy(by).orderBy("doc_key");
        return rows.withColumn("first_key", first("doc_key").over(group))
                .withColumn("first_" + carried, first(carried).over(group))
                .where(col("doc_key").notEqual(col("first_key")))
                .drop("first_key");
    }
}
