package org.verbo.jobs.embed;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import org.verbo.embeddings.store.VectorRow;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Parquet files a task writes itself (one per partition, so that a partition is committed, skipped on resume or
 * redone on its own): {@code vectors/part-K.parquet} with {@code id}, optional {@code chunk}, {@code embedding}
 * (a standard 3-level LIST of FLOAT, read by Spark as {@code array<float>}) and the passthrough columns, and
 * {@code rejected/part-K.parquet} with {@code id}, {@code reason}, {@code detail}, and (when the store keeps texts)
 * {@code _texts/part-K.parquet} with the index id and the text kept for snippets, row for row with the vectors.
 */
final class VectorFiles {
    /** Spark types a passthrough column may have. */
    static final List<DataType> PASSTHROUGH_TYPES = List.of(DataTypes.StringType, DataTypes.IntegerType,
            DataTypes.LongType, DataTypes.FloatType, DataTypes.DoubleType, DataTypes.BooleanType);

    private VectorFiles() {
    }

    /** The Parquet column path of the embedding's elements (a required list of required floats). */
    static final String EMBEDDING_COLUMN = "embedding.list.element";

    static MessageType vectorSchema(boolean chunk, List<String> names, List<String> sparkTypes) {
        Types.MessageTypeBuilder b = Types.buildMessage();
        b.required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("id");
        if (chunk) {
            b.required(PrimitiveTypeName.INT32).named("chunk");
        }
        b.requiredList().requiredElement(PrimitiveTypeName.FLOAT).named("embedding");
        for (int i = 0; i < names.size(); i++) {
            switch (sparkTypes.get(i)) {
                case "string" -> b.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(names.get(i));
                case "int" -> b.optional(PrimitiveTypeName.INT32).named(names.get(i));
                case "bigint" -> b.optional(PrimitiveTypeName.INT64).named(names.get(i));
                case "float" -> b.optional(PrimitiveTypeName.FLOAT).named(names.get(i));
                case "double" -> b.optional(PrimitiveTypeName.DOUBLE).named(names.get(i));
                case "boolean" -> b.optional(PrimitiveTypeName.BOOLEAN).named(names.get(i));
                default -> throw new IllegalArgumentException("passthrough column " + names.get(i) + " has type "
                        + sparkTypes.get(i) + "; supported: string, int, bigint, float, double, boolean");
            }
        }
        return b.named("spark_schema");
    }

    static MessageType rejectedSchema() {
        return Types.buildMessage()
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("id")
                .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("reason")
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("detail")
                .named("spark_schema");
    }

    /** The texts a store keeps for snippets: the index id ({@code id} or {@code id#chunk}) and the cut text. */
    static MessageType textSchema() {
        return Types.buildMessage()
                .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("id")
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("text")
                .named("spark_schema");
    }

    /** A Parquet file of Groups of one schema. */
    static final class Writer implements Closeable {
        private final ParquetWriter<Group> writer;
        private final SimpleGroupFactory groups;
        private long rows;

        Writer(Path file, MessageType schema, Configuration conf) throws IOException {
            this.groups = new SimpleGroupFactory(schema);
            // no dictionary for the embedding's floats: they almost never repeat, and building the dictionary until
            // Parquet gives up on it (a float hash map rehashed over and over) took a third of this writer's time
            this.writer = ExampleParquetWriter.builder(file).withConf(conf).withType(schema)
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .withDictionaryEncoding(EMBEDDING_COLUMN, false)
                    .withCompressionCodec(CompressionCodecName.SNAPPY).build();
        }

        Group newGroup() {
            return groups.newGroup();
        }

        void write(Group g) throws IOException {
            writer.write(g);
            rows++;
        }

        long rows() {
            return rows;
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }

    /** Appends a passthrough value by its Spark type name (null: left unset). */
    static void put(Group g, String name, String sparkType, Object v) {
        if (v == null) {
            return;
        }
        switch (sparkType) {
            case "string" -> g.append(name, v.toString());
            case "int" -> g.append(name, ((Number) v).intValue());
            case "bigint" -> g.append(name, ((Number) v).longValue());
            case "float" -> g.append(name, ((Number) v).floatValue());
            case "double" -> g.append(name, ((Number) v).doubleValue());
            case "boolean" -> g.append(name, (Boolean) v);
            default -> throw new IllegalStateException("unsupported passthrough type " + sparkType);
        }
    }

    static void putEmbedding(Group g, float[] v) {
        Group list = g.addGroup("embedding");
        for (float f : v) {
            list.addGroup("list").append("element", f);
        }
    }

    /** A vectors/ row as the store sees it: its index id ({@code id#chunk} when chunked) and its embedding. */
    static VectorRow vectorRow(Group g, boolean chunked) {
        String id = g.getString("id", 0);
        if (chunked) {
            id = PartitionEmbedder.indexId(id, g.getInteger("chunk", 0), true);
        }
        Group list = g.getGroup("embedding", 0);
        int n = list.getFieldRepetitionCount("list");
        float[] v = new float[n];   // [D]
        for (int i = 0; i < n; i++) {
            v[i] = list.getGroup("list", i).getFloat("element", 0);
        }
        return new VectorRow(id, v, null);
    }

    /**
     * The rows of a directory of part files (every .parquet file whose name starts with neither '.' nor '_', so no
     * attempt's temp file, in name order: partition order), one at a time, through any Hadoop file system.
     */
    static final class DirReader implements Closeable {
        private final List<Path> files = new ArrayList<>();
        private final Configuration conf;
        private int file = -1;
        private ParquetReader<Group> reader;

        DirReader(String dir, Configuration conf) throws IOException {
            this.conf = conf;
            Path p = new Path(dir);
            FileSystem fs = p.getFileSystem(conf);
            FileStatus[] list = fs.listStatus(p, f -> !f.getName().startsWith(".") && !f.getName().startsWith("_")
                    && f.getName().endsWith(".parquet"));
            Arrays.stream(list).map(FileStatus::getPath).sorted().forEach(files::add);
        }

        /** The next row, or null after the last file's last row. */
        Group read() throws IOException {
            while (true) {
                if (reader != null) {
                    Group g = reader.read();
                    if (g != null) {
                        return g;
                    }
                    reader.close();
                    reader = null;
                }
                if (++file >= files.size()) {
                    return null;
                }
                reader = ParquetReader.builder(new GroupReadSupport(), files.get(file)).withConf(conf).build();
            }
        }

        /** The file the last row came from (for error messages). */
        String current() {
            return files.isEmpty() ? "(no files)" : files.get(Math.min(Math.max(file, 0), files.size() - 1)).toString();
        }

        @Override
        public void close() throws IOException {
            if (reader != null) {
                reader.close();
            }
        }
    }
}
