package org.verbo.embeddings.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The contrastive InfoNCE loss of NV-Embed (section 3.4; van den Oord et al. 2018): for query i with positive p_i,
 * <pre>
 *   L = mean_i [ -log( exp(q_i . p_i / tau) / sum_{d in C_i} exp(q_i . d / tau) ) ]
 * </pre>
 * where C_i holds p_i, q_i's own hard negatives and, in stage 1 (in-batch negatives), every other document of the
 * batch (the other queries' positives and hard negatives). Stage 2 drops the in-batch negatives (the paper's
 * second stage, for non-retrieval tasks where other queries' documents may be false negatives). Embeddings are
 * unit vectors, so q . d is the cosine similarity.
 *
 * <p>Documents are laid out as [p_0 .. p_{B-1}, hard negatives...] with {@code owner[j]} the query that brought
 * document j ({@code owner[i] = i} for the positives).
 */
public final class InfoNceLoss {
    private final double temperature;

    public InfoNceLoss(double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a positive number, got " + temperature);
        }
        this.temperature = temperature;
    }

    public double temperature() {
        return temperature;
    }

    /**
     * @param loss       mean over the queries
     * @param dQueries   dL/dq [B, C], the inputs' data type
     * @param dDocuments dL/dd [M, C]
     * @param correct    queries whose positive scored above every other candidate
     */
    public record Result(double loss, INDArray dQueries, INDArray dDocuments, int correct) {
    }

    /**
     * @param queries   [B, C]
     * @param documents [M, C], M >= B, the first B the positives
     * @param owner     [M] owning query of each document
     * @param inBatch   stage 1: every document of the batch is a candidate for every query
     */
    public Result compute(INDArray queries, INDArray documents, int[] owner, boolean inBatch) {
        int b = (int) queries.size(0);
        int m = (int) documents.size(0);
        if (queries.rank() != 2 || documents.rank() != 2 || queries.size(1) != documents.size(1)) {
            throw new IllegalArgumentException("queries " + java.util.Arrays.toString(queries.shape()) + " and documents "
                    + java.util.Arrays.toString(documents.shape()) + " must be [B, C] and [M, C]");
        }
        if (owner.length != m || m < b) {
            throw new IllegalArgumentException("need one owner per document and at least one positive per query");
        }
        for (int j = 0; j < m; j++) {
            if (j < b ? owner[j] != j : owner[j] < 0 || owner[j] >= b) {
                throw new IllegalArgumentException("document " + j + " has owner " + owner[j] + "; the first " + b
                        + " documents are the queries' positives in order");
            }
        }
        INDArray q = queries.castTo(DataType.DOUBLE);
        INDArray d = documents.castTo(DataType.DOUBLE);
        double[][] s = q.mmul(d.transpose()).toDoubleMatrix();     // [B, M] cosine similarities
        double[][] ds = new double[b][m];                         // dL/ds
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < b; i++) {
            double max = Double.NEGATIVE_INFINITY;
            boolean top = true;
            for (int j = 0; j < m; j++) {
                if (candidate(i, j, owner, inBatch)) {
                    max = Math.max(max, s[i][j] / temperature);
                    if (j != i && s[i][j] >= s[i][i]) {
                        top = false;
                    }
                }
            }
            double z = 0;
            for (int j = 0; j < m; j++) {
                if (candidate(i, j, owner, inBatch)) {
                    z += Math.exp(s[i][j] / temperature - max);
                }
            }
            loss += Math.log(z) + max - s[i][i] / temperature;   // logsumexp - positive logit
            for (int j = 0; j < m; j++) {
                if (candidate(i, j, owner, inBatch)) {
                    double p = Math.exp(s[i][j] / temperature - max) / z;
                    ds[i][j] = (p - (i == j ? 1 : 0)) / (temperature * b);
                }
            }
            correct += top ? 1 : 0;
        }
        INDArray g = Nd4j.createFromArray(ds);                    // [B, M]
        INDArray dq = g.mmul(d).castTo(queries.dataType());       // [B, C]
        INDArray dd = g.transpose().mmul(q).castTo(documents.dataType());   // [M, C]
        return new Result(loss / b, dq, dd, correct);
    }

    private static boolean candidate(int i, int j, int[] owner, boolean inBatch) {
        return inBatch || owner[j] == i;
    }
}
