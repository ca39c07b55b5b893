package org.verbo.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;

/** Where an output came from: verbo, Java and Spark versions and the time it was written (STYLE.md habit 7). */
public final class Provenance {

    private Provenance() {
    }

    public static String verboVersion() {
        String v = Provenance.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    public static ObjectNode json(ObjectMapper om) {
        ObjectNode p = om.createObjectNode();
        p.put("verbo_version", verboVersion());
        p.put("java_version", System.getProperty("java.version"));
        p.put("spark_version", org.apache.spark.package$.MODULE$.SPARK_VERSION());
        p.put("created_at", Instant.now().toString());
        return p;
    }
}
