/**
 * Text-level building blocks shared by the readers and the quality filters: strict decoding with a
 * fallback charset ({@link org.verbo.prep.text.TextDecoder}), Unicode/whitespace normalisation
 * ({@link org.verbo.prep.text.TextNormalizer}), HTML main-text extraction
 * ({@link org.verbo.prep.text.HtmlTextExtractor}) and the word tokeniser used by the filters
 * ({@link org.verbo.prep.text.WordTokenizer}). Pure Java, no Spark.
 */
package org.verbo.prep.text;
