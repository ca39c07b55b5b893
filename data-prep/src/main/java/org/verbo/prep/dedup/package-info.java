/**
 * Near-duplicate detection building blocks, pure Java (no Spark): word n-gram shingles ({@link
 * org.verbo.prep.dedup.Shingler}), MinHash signatures with an Aparapi kernel and its plain-Java
 * reference twin ({@link org.verbo.prep.dedup.MinHasher}, {@link
 * org.verbo.prep.dedup.MinHashKernel}), LSH band keys ({@link org.verbo.prep.dedup.LshBanding}),
 * their configuration ({@link org.verbo.prep.dedup.MinHashConfig}) and a synthetic corpus with
 * planted near-duplicates for tests and benchmarks ({@link
 * org.verbo.prep.dedup.PlantedDuplicates}). The Spark job in {@code spark-jobs} turns band keys into
 * buckets, candidate edges and connected components.
 */
package org.verbo.prep.dedup;
