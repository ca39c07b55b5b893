// Planted-duplicate recall of a prepare run over scripts/bench/gen_corpus.py output (JSONL with --id-col=id):
// a planted pair counts as caught when either member was rejected as exact_dup or near_dup. Run like ComparePrepare:
//   java ... scripts/bench/PlantedRecall.java PREPARE_OUT GEN_DIR/planted.tsv
import org.apache.spark.sql.*;
import static org.apache.spark.sql.functions.*;
public class PlantedRecall {
  public static void main(String[] a) {
    SparkSession s = SparkSession.builder().master("local[2]").config("spark.ui.enabled","false").config("spark.sql.shuffle.partitions","4").getOrCreate();
    s.sparkContext().setLogLevel("ERROR");
    Dataset<Row> planted = s.read().option("sep","\t").csv(a[1]).toDF("kind","id","source_id");
    Dataset<Row> rej = s.read().parquet(a[0]+"/rejected").select("id","reason");
    Dataset<Row> j = planted.join(rej, planted.col("id").equalTo(rej.col("id")), "left");
    for (Row r : j.groupBy("kind","reason").count().orderBy("kind","reason").collectAsList()) System.out.println(r);
    Dataset<Row> dup = rej.where(col("reason").isin("near_dup","exact_dup")).select("id").withColumn("d", lit(1));
    Dataset<Row> p2 = planted.join(dup.withColumnRenamed("id","id").withColumnRenamed("d","d1"), "id", "left")
        .join(dup.withColumnRenamed("id","source_id").withColumnRenamed("d","d2"), "source_id", "left");
    for (Row r : p2.groupBy("kind").agg(count(lit(1)).as("pairs"), sum(when(col("d1").isNotNull().or(col("d2").isNotNull()), 1).otherwise(0)).as("caught")).orderBy("kind").collectAsList())
      System.out.println("pairs " + r + " recall " + (r.getLong(2) / (double) r.getLong(1)));
    long unplanted = rej.where(col("reason").isin("near_dup","exact_dup")).join(planted, rej.col("id").equalTo(planted.col("id")), "left_anti").count();
    System.out.println("dedup rejections of unplanted documents: " + unplanted);
    s.stop();
  }
}
