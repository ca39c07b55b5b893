/**
 * The pieces of data-parallel training that need no cluster: which blocks worker k trains on in round r
 * ({@link org.verbo.models.train.sync.BlockPlan}), how a worker's parameter delta travels
 * ({@link org.verbo.models.train.sync.DeltaCodec}), how the replicas are combined into new global parameters
 * ({@link org.verbo.models.train.sync.OuterStep}: parameter averaging, or DiLoCo's Nesterov outer step), and their
 * settings ({@link org.verbo.models.train.sync.SyncConfig}). The Spark job in {@code spark-jobs} only moves bytes
 * between these; see docs/DISTRIBUTED.md.
 */
package org.verbo.models.train.sync;
