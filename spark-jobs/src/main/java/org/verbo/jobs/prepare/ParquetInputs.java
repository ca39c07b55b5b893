package org.verbo.jobs.prepare;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map_from_arrays;
import static org.apache.spark.sql.functions.to_json;

/**
 * Parquet inputs, read by Spark's own Parquet reader. Each file's footer is checked on the driver first: a
 * file without the text column has every one of its rows rejected ({@code missing_column}), a file that is
 * not Parquet at all gives one {@code read_error} row; the rest are read together (schemas merged), with
 * every other column kept as string metadata. Record index = Parquet's {@code _metadata.row_index}. With an id
 * column set, a row whose id is null or blank, or whose file lacks the column, is rejected as {@code missing_id}
 * or, with {@code generateMissingIds}, gets its positional id {@code <file>#<row>} (flagged {@code id_generated}).
 */
final class ParquetInputs {

    private ParquetInputs() {
    }

    static Dataset<Row> read(SparkSession spark, List<InputFile> files, String textCol, String idCol,
                             boolean generateMissingIds, Configuration conf) {
        List<InputFile> good = new ArrayList<>();
        java.util.Set<String> withoutIdCol = new java.util.HashSet<>(); // pathKey of files lacking the id column
        List<Row> bad = new ArrayList<>();
        List<long[]> missingColumn = new ArrayList<>(); // {file index in `files`, rows}
        for (int i = 0; i < files.size(); i++) {
            InputFile f = files.get(i);
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(f.path()), conf))) {
                ParquetMetadata footer = r.getFooter();
                MessageType schema = footer.getFileMetaData().getSchema();
                if (schema.containsField(textCol)) {
                    good.add(f);
                    if (!idCol.isEmpty() && !schema.containsField(idCol)) {
                        withoutIdCol.add(pathKey(f.path()));
                    }
                } else {
                    missingColumn.add(new long[] {i, r.getRecordCount()});
                }
            } catch (IOException | RuntimeException e) {
                bad.add(DocRows.rejected(DocRows.docKey(f.ordinal(), 0), f.recordId(0), f.path(), DocRows.STAGE_READ,
                        "read_error", "not a readable Parquet file: " + e.getMessage()));
            }
        }
        Dataset<Row> out = spark.createDataFrame(bad, DocRows.SCHEMA);
        for (long[] m : missingColumn) {
            InputFile f = files.get((int) m[0]);
            String detail = "no column '" + textCol + "' in this Parquet file (use --text-col)";
            Dataset<Row> rows = spark.range(m[1]).map(
                    (org.apache.spark.api.java.function.MapFunction<Long, Row>) i ->
                            DocRows.rejected(DocRows.docKey(f.ordinal(), i), f.recordId(i), f.path(), DocRows.STAGE_READ,
                                    "missing_column", detail),
                    Encoders.row(DocRows.SCHEMA));
            out = out.union(rows);
        }
        if (!good.isEmpty()) {
            out = out.union(readGood(spark, good, textCol, idCol, generateMissingIds, withoutIdCol));
        }
        return out;
    }

    private static Dataset<Row> readGood(SparkSession spark, List<InputFile> files, String textCol, String idCol,
                                         boolean generateMissingIds, java.util.Set<String> withoutIdCol) {
        String[] paths = files.stream().map(InputFile::path).toArray(String[]::new);
        Dataset<Row> df = spark.read().option("mergeSchema", "true").parquet(paths);
        List<Column> names = new ArrayList<>();
        List<Column> values = new ArrayList<>();
        for (StructField field : df.schema().fields()) {
            if (field.name().equals(textCol) || field.name().equals(idCol)) {
                continue;
            }
            names.add(lit(field.name()));
            values.add(asString(col(quote(field.name())), field.dataType()));
        }
        Column metadata = names.isEmpty() ? lit(null).cast(DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType))
                : map_from_arrays(array(names.toArray(new Column[0])), array(values.toArray(new Column[0])));
        boolean hasId = !idCol.isEmpty() && List.of(df.schema().fieldNames()).contains(idCol);
        Dataset<Row> sel = df.select(
                col("_metadata.file_path").as("file_path"),
                col("_metadata.row_index").as("row_index"),
                asString(col(quote(textCol)), df.schema().apply(textCol).dataType()).as("text"),
                (hasId ? col(quote(idCol)).cast("string") : lit(null).cast("string")).as("user_id"),
                metadata.as("metadata"));

        Map<String, InputFile> byPath = new HashMap<>();
        for (InputFile f : files) {
            byPath.put(pathKey(f.path()), f);
        }
        return sel.mapPartitions((MapPartitionsFunction<Row, Row>) rows -> new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row r = rows.next();
                InputFile f = byPath.get(pathKey(r.getString(0)));
                if (f == null) {
                    throw new IllegalStateException("Parquet row from an unlisted file: " + r.getString(0));
                }
                long index = r.getLong(1);
                String userId = r.isNullAt(3) ? null : r.getString(3);
                boolean hasUserId = userId != null && !userId.isBlank();
                String id = hasUserId ? userId : f.recordId(index);
                long key = DocRows.docKey(f.ordinal(), index);
                String text = r.isNullAt(2) ? null : r.getString(2);
                if (text == null || text.isBlank()) {
                    return DocRows.rejected(key, id, f.path(), DocRows.STAGE_READ, "empty",
                            text == null ? "null in column" : "blank text");
                }
                Map<String, String> meta = r.isNullAt(4) ? null : scala.jdk.javaapi.CollectionConverters.asJava(r.<String, String>getMap(4));
                if (idCol.isEmpty() || hasUserId) {
                    return DocRows.doc(key, id, f.path(), text, meta, false);
                }
                if (generateMissingIds) {
                    return DocRows.doc(key, id, f.path(), text, meta, false, true);
                }
                String why = withoutIdCol.contains(pathKey(f.path())) ? "no column '" + idCol + "' in this Parquet file"
                        : userId == null ? "null in column '" + idCol + "'" : "blank in column '" + idCol + "'";
                return DocRows.rejected(key, id, f.path(), DocRows.STAGE_READ, FileRecordReader.MISSING_ID,
                        why + " (prepare.missing_id=generate gives such records their positional id)");
            }
        }, Encoders.row(DocRows.SCHEMA));
    }

    private static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    private static Column asString(Column c, DataType t) {
        boolean atomic = !(t instanceof org.apache.spark.sql.types.StructType
                || t instanceof org.apache.spark.sql.types.ArrayType
                || t instanceof org.apache.spark.sql.types.MapType);
        return atomic ? c.cast(DataTypes.StringType) : to_json(c);
    }

    /** Listing paths and Parquet's _metadata.file_path may differ in scheme spelling (file:/ vs file:///). */
    static String pathKey(String p) {
        return new Path(p).toUri().getPath();
    }
}
