package org.verbo.jobs.embed;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Query–passage pairs from unlabeled text, for training an embedder on a corpus without labels (the weak
 * supervision of E5 and of NV-Embed's retrieval data, which pair titles or first sentences with their passages):
 * <ul>
 *   <li>a heading (a short one-line paragraph with no final full stop) → the paragraph after it;</li>
 *   <li>a paragraph's first sentence → the rest of the paragraph.</li>
 * </ul>
 * Paragraphs are the blank-line separated blocks that {@code prepare} keeps. Both sides must be long enough to
 * say something ({@code minQueryChars}, {@code minPositiveChars}).
 */
public final class PairMiner {
    private static final Pattern PARAGRAPHS = Pattern.compile("\\n\\s*\\n");
    /** End of the first sentence: . ! or ? then whitespace then an upper-case letter, a digit or a quote. */
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?]\\s+(?=[\\p{Lu}\\p{N}\"'«(])");
    static final int MAX_HEADING_CHARS = 100;

    private final int minQueryChars;
    private final int minPositiveChars;

    public PairMiner(int minQueryChars, int minPositiveChars) {
        if (minQueryChars < 1 || minPositiveChars < 1) {
            throw new IllegalArgumentException("minimum lengths must be >= 1");
        }
        this.minQueryChars = minQueryChars;
        this.minPositiveChars = minPositiveChars;
    }

    /** The pairs of one document, in text order; source = docId#p&lt;paragraph&gt;.{h|s}. */
    public List<TextPair> mine(String docId, String text) {
        List<TextPair> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        String[] paras = PARAGRAPHS.split(text.strip());
        for (int i = 0; i < paras.length; i++) {
            String p = paras[i].strip().replaceAll("\\s+", " ");
            if (isHeading(p) && i + 1 < paras.length) {
                String next = paras[i + 1].strip().replaceAll("\\s+", " ");
                if (p.length() >= minQueryChars && next.length() >= minPositiveChars && !isHeading(next)) {
                    out.add(new TextPair(p, next, List.of(), docId + "#p" + i + ".h"));
                }
                continue;
            }
            Matcher m = SENTENCE_END.matcher(p);
            if (m.find()) {
                String first = p.substring(0, m.start() + 1).strip();
                String rest = p.substring(m.end()).strip();
                if (first.length() >= minQueryChars && rest.length() >= minPositiveChars) {
                    out.add(new TextPair(first, rest, List.of(), docId + "#p" + i + ".s"));
                }
            }
        }
        return out;
    }

    static boolean isHeading(String p) {
        return p.length() <= MAX_HEADING_CHARS && !p.contains("\n") && !p.endsWith(".") && !p.endsWith(":")
                && !p.endsWith(";") && !p.endsWith(",");
    }
}
