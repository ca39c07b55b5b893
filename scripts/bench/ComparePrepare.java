// Compares two prepare outputs row by row: corpus/ and rejected/ (exceptAll both ways, the metadata map as sorted
// entries), the written id order (part files in name order) and the schema; prints IDENTICAL or DIFFERENT. Run with the built jars:
//   java $(sed -n "s:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p" pom.xml) \
//     -cp "spark-jobs/target/verbo-spark-jobs.jar:spark-jobs/target/lib/*" scripts/bench/ComparePrepare.java OUT_A OUT_B
import org.apache.spark.sql.*;
public class ComparePrepare {
  static Dataset<Row> flat(Dataset<Row> d) {
    for (org.apache.spark.sql.types.StructField f : d.schema().fields())
      if (f.dataType() instanceof org.apache.spark.sql.types.MapType)
        d = d.withColumn(f.name(), functions.to_json(functions.array_sort(functions.map_entries(functions.col(f.name())))));
    return d;
  }
  static java.util.List<Row> ids(SparkSession s, String dir) {
    java.io.File[] parts = new java.io.File(dir).listFiles((d, n) -> n.startsWith("part-") && n.endsWith(".parquet"));
    java.util.Arrays.sort(parts);
    java.util.List<Row> out = new java.util.ArrayList<>();
    for (java.io.File f : parts) out.addAll(s.read().parquet(f.getPath()).select("id").collectAsList());
    return out;
  }
  public static void main(String[] a) {
    SparkSession s = SparkSession.builder().master("local[2]").config("spark.ui.enabled","false").config("spark.sql.shuffle.partitions","4").getOrCreate();
    s.sparkContext().setLogLevel("ERROR");
    boolean same = true;
    for (String t : new String[]{"corpus","rejected"}) {
      Dataset<Row> x = flat(s.read().parquet(a[0]+"/"+t)), y = flat(s.read().parquet(a[1]+"/"+t));
      long nx = x.count(), ny = y.count();
      long d1 = x.exceptAll(y).count(), d2 = y.exceptAll(x).count();
      // order as written: the id sequence of the part files read one by one in name order (Spark's own scan packs
      // files by size, so reading the directory at once does not give the written order)
      java.util.List<Row> ix = ids(s, a[0]+"/"+t), iy = ids(s, a[1]+"/"+t);
      boolean order = ix.equals(iy);
      System.out.printf("%s: %d vs %d rows, %d only in first, %d only in second, same order: %s, schema same: %s%n", t, nx, ny, d1, d2, order, x.schema().equals(y.schema()));
      same &= nx==ny && d1==0 && d2==0 && order && x.schema().equals(y.schema());
    }
    System.out.println(same ? "IDENTICAL" : "DIFFERENT");
    s.stop();
  }
}
