/**
 * Byte-level BPE: {@link org.verbo.prep.bpe.BpeTrainer} learns merges from pre-token counts,
 * {@link org.verbo.prep.bpe.BpeModel} reads and writes Hugging Face {@code tokenizer.json}, and
 * {@link org.verbo.prep.bpe.BpeEncoder} encodes text with the same ids as HF tokenizers.
 * Pure Java, no Spark.
 */
package org.verbo.prep.bpe;
