package org.verbo.prep.bpe;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The committed test corpora under {@code src/test/resources/bpe/}. */
final class TestCorpus {

    private TestCorpus() {}

    static String resource(String name) {
        try (InputStream in = TestCorpus.class.getResourceAsStream("/bpe/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /bpe/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Training documents: the paragraphs of corpus-train.txt, every third one also with CRLF endings. */
    static List<String> trainingDocuments() {
        List<String> docs = new ArrayList<>();
        String[] paragraphs = resource("corpus-train.txt").split("\n\n");
        for (int i = 0; i < paragraphs.length; i++) {
            docs.add(paragraphs[i]);
            if (i % 3 == 0) {
                docs.add(paragraphs[i].replace("\n", "\r\n"));
            }
        }
        return docs;
    }

    /** Lines with their endings, the way HF's train_from_files reads a file. */
    static List<String> linesWithEndings(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                lines.add(text.substring(start, i + 1));
                start = i + 1;
            }
        }
        if (start < text.length()) {
            lines.add(text.substring(start));
        }
        return lines;
    }

    /** The held-out texts used for parity: each line, the whole file, and hand-picked edge cases. */
    static List<String> heldOutTexts() {
        String heldOut = resource("heldout.txt");
        List<String> texts = new ArrayList<>(linesWithEndings(heldOut));
        texts.add(heldOut);
        texts.add(heldOut.replace("\n", "\r\n"));
        texts.addAll(List.of(
                "",
                " ",
                "\n",
                "\r\n\r\n",
                "   leading and trailing   ",
                "ação, coração, pão, você",
                "AÇÃO CORAÇÃO PÃO VOCÊ",
                "1234567 12345678901234567890",
                "👩‍💻👩‍💻👩‍💻 🇧🇷🇧🇷 👨‍👩‍👧‍👦",
                "tab\tseparated\tvalues\t\t\tend",
                "x".repeat(300),
                "=".repeat(200) + " " + "ab".repeat(150),
                "supercalifragilisticexpialidociousANDANTIDISESTABLISHMENTARIANISMinonewordwithoutspaces",
                "special </s> in text<s>and<pad>more<unk></s></s>",
                "almost special: </ s> <s > <s</s>> <<s>>",
                "\u00A0\u2009\u3000\u200B\u0085\u000B\u000C mixed unicode spaces",
                "info separators\u001C\u001D\u001E\u001Fend, ogham\u1680space, line\u2028para\u2029, mmsp\u205Fx,"
                        + " mongolian\u180Evs, soft\u00ADhyphen, bom\uFEFFmark",
                "    def f(x):\n        return x * 2\n"));
        return texts;
    }
}
