/**
 * Reading raw corpus files into {@link org.verbo.prep.io.RawDocument}s: one file's bytes in, a
 * stream of documents and rejections out ({@link org.verbo.prep.io.DocumentReader}). Nothing here
 * knows about Spark or Hadoop; the Spark job opens the stream and calls the reader per file.
 */
package org.verbo.prep.io;
