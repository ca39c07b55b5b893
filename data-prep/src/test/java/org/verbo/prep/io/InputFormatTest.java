package org.verbo.prep.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InputFormatTest {

  @Test
  void formatFromFileName() {
    assertEquals(InputFormat.HTML, InputFormat.fromFileName("page.html"));
    assertEquals(InputFormat.HTML, InputFormat.fromFileName("dir/Page.HTM"));
    assertEquals(InputFormat.HTML, InputFormat.fromFileName("a.xhtml.gz"));
    assertEquals(InputFormat.JSONL, InputFormat.fromFileName("part-0.jsonl.zst"));
    assertEquals(InputFormat.JSONL, InputFormat.fromFileName("x.json"));
    assertEquals(InputFormat.JSONL, InputFormat.fromFileName("x.ndjson.bz2"));
    assertEquals(InputFormat.PARQUET, InputFormat.fromFileName("hdfs://nn/data/p.parquet"));
    assertEquals(InputFormat.TEXT, InputFormat.fromFileName("livro.txt.xz"));
    assertEquals(InputFormat.TEXT, InputFormat.fromFileName("README"));
    assertEquals(InputFormat.TEXT, InputFormat.fromFileName("notes.gz"));
  }

  @Test
  void parseIsCaseInsensitiveAndListsAllowedValues() {
    assertEquals(InputFormat.JSONL, InputFormat.parse("JSONL"));
    assertEquals(InputFormat.TEXT, InputFormat.parse("text"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> InputFormat.parse("csv"));
    assertTrue(e.getMessage().contains("text|jsonl|parquet|html"), e.getMessage());
    assertEquals(TextSplit.PARAGRAPH, TextSplit.parse("Paragraph"));
    IllegalArgumentException s =
        assertThrows(IllegalArgumentException.class, () -> TextSplit.parse("page"));
    assertTrue(s.getMessage().contains("file|line|paragraph"), s.getMessage());
  }
}
