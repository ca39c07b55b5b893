package org.verbo.prep.io;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.Serial;
import java.io.Serializable;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link DocumentReader} cuts and decodes a file. HOCON block {@code verbo.prepare.reader}:
 *
 * <pre>
 * text_split = file             # file | line | paragraph (TEXT format only)
 * json_text_field = text        # JSONL field holding the document
 * fallback_charset = ISO-8859-1 # tried when a document is not valid UTF-8
 * max_document_bytes = 8388608  # larger documents/lines are rejected as "too_long"; "8 MiB" works too
 * </pre>
 *
 * <p>Serializable (the charset travels by name), so a Spark closure may capture it.
 *
 * @param textSplit how TEXT files are cut into documents
 * @param jsonTextField JSONL field holding the text, not blank
 * @param fallbackCharset charset for documents that are not valid UTF-8
 * @param maxDocumentBytes largest document or line kept, in bytes, 1 .. {@value #MAX_BYTES}
 */
public record ReaderOptions(
    TextSplit textSplit, String jsonTextField, Charset fallbackCharset, int maxDocumentBytes)
    implements Serializable {

  /** Upper bound of {@code max_document_bytes}: the largest Java array we may allocate. */
  public static final int MAX_BYTES = Integer.MAX_VALUE - 16;

  /** Path of the block in the application config. */
  public static final String CONFIG_PATH = "verbo.prepare.reader";

  public ReaderOptions {
    if (textSplit == null) {
      throw new IllegalArgumentException("reader.text_split must be set");
    }
    if (jsonTextField == null || jsonTextField.isBlank()) {
      throw new IllegalArgumentException("reader.json_text_field must not be blank");
    }
    if (fallbackCharset == null) {
      throw new IllegalArgumentException("reader.fallback_charset must be set");
    }
    if (maxDocumentBytes < 1 || maxDocumentBytes > MAX_BYTES) {
      throw new IllegalArgumentException(
          "reader.max_document_bytes must be in [1, " + MAX_BYTES + "], got " + maxDocumentBytes);
    }
  }

  /** FILE split, field {@code text}, ISO-8859-1 fallback, 8 MiB (the reference.conf values). */
  public static ReaderOptions defaults() {
    return new ReaderOptions(TextSplit.FILE, "text", StandardCharsets.ISO_8859_1, 8 << 20);
  }

  /** Same options with another split. */
  public ReaderOptions withTextSplit(TextSplit split) {
    return new ReaderOptions(split, jsonTextField, fallbackCharset, maxDocumentBytes);
  }

  /** Same options with another size limit. */
  public ReaderOptions withMaxDocumentBytes(int max) {
    return new ReaderOptions(textSplit, jsonTextField, fallbackCharset, max);
  }

  /**
   * Reads the {@code verbo.prepare.reader} block; missing keys take their reference.conf default.
   *
   * @param reader the block itself (not the root config)
   * @throws IllegalArgumentException naming the key for an unknown key or a bad value
   */
  public static ReaderOptions from(Config reader) {
    Config ref =
        ConfigFactory.defaultReference(ReaderOptions.class.getClassLoader()).getConfig(CONFIG_PATH);
    for (Map.Entry<String, ?> e : reader.entrySet()) {
      if (!ref.hasPath(e.getKey())) {
        throw new IllegalArgumentException(
            "unknown key reader." + e.getKey() + " (known: " + ref.root().keySet() + ")");
      }
    }
    Config c = reader.withFallback(ref);
    try {
      TextSplit split;
      try {
        split = TextSplit.parse(c.getString("text_split"));
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException("reader.text_split: " + bad.getMessage(), bad);
      }
      String cs = c.getString("fallback_charset");
      Charset charset;
      try {
        charset = Charset.forName(cs);
      } catch (IllegalCharsetNameException | UnsupportedCharsetException bad) {
        throw new IllegalArgumentException("reader.fallback_charset: unknown charset '" + cs + "'");
      }
      Long bytes = c.getBytes("max_document_bytes");
      if (bytes < 1 || bytes > MAX_BYTES) {
        throw new IllegalArgumentException(
            "reader.max_document_bytes must be in [1, " + MAX_BYTES + "], got " + bytes);
      }
      return new ReaderOptions(split, c.getString("json_text_field"), charset, bytes.intValue());
    } catch (ConfigException bad) {
      throw new IllegalArgumentException("reader: " + bad.getMessage(), bad);
    }
  }

  @Serial
  private Object writeReplace() {
    return new Form(textSplit, jsonTextField, fallbackCharset.name(), maxDocumentBytes);
  }

  /** Serialized form: {@link Charset} itself is not serializable. */
  private record Form(TextSplit textSplit, String jsonTextField, String charset, int maxBytes)
      implements Serializable {
    @Serial
    private Object readResolve() {
      return new ReaderOptions(
          textSplit, jsonTextField, Charset.forName(Objects.requireNonNull(charset)), maxBytes);
    }
  }
}
