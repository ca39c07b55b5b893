/**
 * Sequence packing and token shards: {@link org.verbo.prep.pack.SequencePacker} concatenates
 * documents with an end-of-sequence token and cuts fixed-length blocks,
 * {@link org.verbo.prep.pack.ShardWriter}/{@link org.verbo.prep.pack.ShardReader} store them in the
 * {@link org.verbo.prep.pack.ShardFormat} file layout, and {@link org.verbo.prep.pack.SplitAssigner}
 * picks the validation documents.
 */
package org.verbo.prep.pack;
