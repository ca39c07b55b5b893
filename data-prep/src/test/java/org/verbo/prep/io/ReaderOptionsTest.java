package org.verbo.prep.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReaderOptionsTest {

  @Test
  void referenceConfMatchesDefaults() {
    ReaderOptions fromConf = ReaderOptions.from(ConfigFactory.empty());
    assertEquals(ReaderOptions.defaults(), fromConf);
    assertEquals(TextSplit.FILE, fromConf.textSplit());
    assertEquals("text", fromConf.jsonTextField());
    assertEquals(StandardCharsets.ISO_8859_1, fromConf.fallbackCharset());
    assertEquals(8388608, fromConf.maxDocumentBytes());
  }

  @Test
  void hoconOverrides() {
    ReaderOptions o =
        ReaderOptions.from(
            ConfigFactory.parseString(
                "text_split = paragraph, json_text_field = body, fallback_charset = windows-1252,"
                    + " max_document_bytes = 1 MiB"));
    assertEquals(TextSplit.PARAGRAPH, o.textSplit());
    assertEquals("body", o.jsonTextField());
    assertEquals("windows-1252", o.fallbackCharset().name());
    assertEquals(1 << 20, o.maxDocumentBytes());
  }

  @Test
  void badValuesNameTheKey() {
    assertKey("text_split = page", "reader.text_split");
    assertKey("fallback_charset = no-such-charset", "reader.fallback_charset");
    assertKey("max_document_bytes = 0", "reader.max_document_bytes");
    assertKey("max_document_bytes = lots", "max_document_bytes");
    assertKey("json_text_fild = text", "reader.json_text_fild");
  }

  @Test
  void survivesJavaSerializationForSparkClosures() throws Exception {
    ReaderOptions o = ReaderOptions.defaults().withTextSplit(TextSplit.LINE);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(o, in.readObject());
    }
  }

  private static void assertKey(String hocon, String key) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ReaderOptions.from(ConfigFactory.parseString(hocon)));
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }
}
