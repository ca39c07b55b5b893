package org.verbo.prep.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.Evaluator;
import org.jsoup.select.NodeTraversor;
import org.jsoup.select.NodeVisitor;
import org.jsoup.select.QueryParser;

/**
 * Main text of an HTML page, with its paragraph structure, using jsoup.
 *
 * <p>What is dropped (with everything inside):
 * <ul>
 *   <li>non-content elements: {@code script, style, noscript, template, svg, nav, header, footer,
 *       aside, form, iframe, button, select} (plus {@code head}, which is never visited);
 *   <li>elements with {@code role="navigation"} (or {@code menu}, {@code menubar});
 *   <li>boilerplate by name: an element whose {@code id} or one of whose {@code class} tokens has a
 *       first or last {@code -}/{@code _}-separated part in {@value #BOILERPLATE_WORDS} (e.g.
 *       {@code main-nav}, {@code menu-item}, {@code site-footer}, {@code cookie-banner}). An element
 *       that is {@code html}, {@code body}, {@code main} or {@code article}, or contains one (or a
 *       {@code role="main"}), is never dropped this way, so a wrapper such as {@code <div
 *       class="has-sidebar">} around the article survives.
 * </ul>
 *
 * <p>Structure: block elements ({@code p, div, h1-h6, pre, table, blockquote, section, article,
 * main, ul, ol, dl, figure, ...}) are surrounded by a paragraph break; {@code li, tr, dt, dd,
 * caption} and {@code br} start a new line; table cells are separated by a space. Source newlines in
 * ordinary text are just spaces, while inside {@code pre} they are kept. The result goes through
 * {@link TextNormalizer#normalize(String)}, so paragraphs come out separated by exactly {@code
 * "\n\n"}. Entities are decoded by jsoup ({@code &ccedil;} → ç).
 */
public final class HtmlTextExtractor {

  /** Title (from {@code <title>}, normalised; empty when absent) and normalised main text. */
  public record Extracted(String title, String text) {}

  private static final String REMOVED_TAGS =
      "script, style, noscript, template, svg, nav, header, footer, aside, form, iframe, button,"
          + " select, [role=navigation], [role=menu], [role=menubar]";

  // Selectors parsed once (Element.select(String) parses its query on every call, once per named element).
  private static final Evaluator REMOVED = QueryParser.parse(REMOVED_TAGS);
  private static final Evaluator NAMED = QueryParser.parse("[id], [class]");
  private static final Evaluator MAIN_CONTENT = QueryParser.parse("main, article, [role=main]");

  private static final String BOILERPLATE_WORDS =
      "nav|navbar|navigation|menu|menubar|footer|breadcrumb|breadcrumbs|sidebar|cookie|cookies";

  private static final Set<String> BOILERPLATE = Set.of(BOILERPLATE_WORDS.split("\\|"));
  private static final Pattern PART_SEPARATOR = Pattern.compile("[-_]");

  private static final Set<String> PARAGRAPH_BLOCKS =
      Set.of(
          "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "blockquote", "section",
          "article", "main", "ul", "ol", "dl", "figure", "figcaption", "address", "fieldset",
          "details", "summary", "hr", "center", "body");
  private static final Set<String> LINE_BLOCKS = Set.of("li", "tr", "dt", "dd", "caption");
  private static final Set<String> CELLS = Set.of("td", "th");
  private static final Set<String> PROTECTED = Set.of("html", "body", "main", "article");

  private HtmlTextExtractor() {}

  /** Extracts title and main text of {@code html}; never throws for malformed markup. */
  public static Extracted extract(String html) {
    Document doc = Jsoup.parse(html);
    String title = TextNormalizer.normalize(doc.title());
    Element body = doc.body();
    body.select(REMOVED).remove();
    List<Element> boilerplate = new ArrayList<>();
    for (Element e : body.select(NAMED)) {
      if (isBoilerplate(e)) {
        boilerplate.add(e);
      }
    }
    for (Element e : boilerplate) {
      e.remove(); // removing an already detached descendant is a no-op
    }
    StringBuilder sb = new StringBuilder(Math.min(html.length(), 1 << 20));
    NodeTraversor.traverse(new TextCollector(sb), body);
    return new Extracted(title, TextNormalizer.normalize(sb.toString()));
  }

  private static boolean isBoilerplate(Element e) {
    if (PROTECTED.contains(e.normalName())) {
      return false;
    }
    boolean named = namesBoilerplate(e.id()) || classNamesBoilerplate(e.className());
    return named && e.selectFirst(MAIN_CONTENT) == null;
  }

  /**
   * True when one of the class names in {@code classes} ({@link Element#className()}) {@link #namesBoilerplate
   * names boilerplate}. The names are the runs of non-{@code \\s} chars: what {@link Element#classNames()} gives
   * by splitting on the regular expression {@code \\s+} into a new set, a matcher per named element (2 % of a run
   * on real pages). HtmlBoilerplateNameTest compares the two.
   */
  static boolean classNamesBoilerplate(String classes) {
    for (int i = 0, n = classes.length(); i < n; ) {
      while (i < n && isRegexSpace(classes.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < n && !isRegexSpace(classes.charAt(i))) {
        i++;
      }
      if (i > start && namesBoilerplate(classes.substring(start, i))) {
        return true;
      }
    }
    return false;
  }

  /** The chars of {@code \\s} without UNICODE_CHARACTER_CLASS: {@code [ \t\n\x0B\f\r]}. */
  private static boolean isRegexSpace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
  }

  /**
   * True when the first or the last part of {@code token}, lower-cased and split on {@code -} and {@code _}, is
   * a boilerplate word. The parts are those of {@code Pattern.compile("[-_]").split(lower)} (the reference
   * twin, {@link #namesBoilerplateByRegex}; HtmlBoilerplateNameTest compares), found by position: a leading
   * empty part is kept, trailing empty parts are dropped, and a token of separators only has no parts.
   */
  static boolean namesBoilerplate(String token) {
    if (token.isEmpty()) {
      return false;
    }
    String lower = token.toLowerCase(Locale.ROOT);
    int n = lower.length();
    int end = n; // one past the last char that is not a separator
    while (end > 0 && isPartSeparator(lower.charAt(end - 1))) {
      end--;
    }
    if (end == 0) {
      return false; // separators only: split gives no part at all
    }
    int firstEnd = 0;
    while (firstEnd < n && !isPartSeparator(lower.charAt(firstEnd))) {
      firstEnd++;
    }
    int lastStart = end;
    while (lastStart > 0 && !isPartSeparator(lower.charAt(lastStart - 1))) {
      lastStart--;
    }
    // When end < n, the trailing separators come after the last part, and firstEnd <= end still holds.
    return BOILERPLATE.contains(lower.substring(0, Math.min(firstEnd, end)))
        || BOILERPLATE.contains(lower.substring(lastStart, end));
  }

  private static boolean isPartSeparator(char c) {
    return c == '-' || c == '_';
  }

  /** The reference twin of {@link #namesBoilerplate}: the regular-expression split it replaced. */
  static boolean namesBoilerplateByRegex(String token) {
    if (token.isEmpty()) {
      return false;
    }
    String[] parts = PART_SEPARATOR.split(token.toLowerCase(Locale.ROOT));
    if (parts.length == 0) {
      return false;
    }
    return BOILERPLATE.contains(parts[0]) || BOILERPLATE.contains(parts[parts.length - 1]);
  }

  /**
   * Appends text nodes in document order. Breaks requested by elements are held as a pending level
   * (1 = line break, 2 = paragraph break) and written only before the next visible text, so {@code
   * </li><li>} gives one line break, not two, and whitespace between blocks adds nothing.
   */
  private static final class TextCollector implements NodeVisitor {
    private final StringBuilder sb;
    private int preDepth;
    private int pending;

    TextCollector(StringBuilder sb) {
      this.sb = sb;
    }

    @Override
    public void head(Node node, int depth) {
      if (node instanceof TextNode t) {
        text(t.getWholeText());
      } else if (node instanceof Element e) {
        String tag = e.normalName();
        if (tag.equals("pre")) {
          preDepth++;
        }
        if (tag.equals("br")) {
          pending = Math.min(2, pending + 1); // <br><br> separates paragraphs
        } else {
          request(tag);
        }
      }
    }

    @Override
    public void tail(Node node, int depth) {
      if (node instanceof Element e) {
        String tag = e.normalName();
        if (tag.equals("pre")) {
          preDepth--;
        }
        if (CELLS.contains(tag)) {
          if (pending == 0) {
            sb.append(' ');
          }
        } else if (!tag.equals("br")) {
          request(tag);
        }
      }
    }

    private void request(String tag) {
      if (PARAGRAPH_BLOCKS.contains(tag)) {
        pending = 2;
      } else if (LINE_BLOCKS.contains(tag)) {
        pending = Math.max(pending, 1);
      }
    }

    private void text(String raw) {
      if (preDepth > 0) {
        flush();
        sb.append(raw);
        return;
      }
      if (raw.isBlank()) {
        if (pending == 0 && !raw.isEmpty()) {
          sb.append(' ');
        }
        return;
      }
      flush();
      // Source formatting newlines are not structure outside <pre>. Runs without them are appended whole.
      int from = 0;
      for (int i = 0; i < raw.length(); i++) {
        char c = raw.charAt(i);
        if (c == '\n' || c == '\r' || c == '\t' || c == '\f') {
          sb.append(raw, from, i).append(' ');
          from = i + 1;
        }
      }
      sb.append(raw, from, raw.length());
    }

    private void flush() {
      if (pending > 0 && sb.length() > 0) {
        sb.append(pending == 2 ? "\n\n" : "\n");
      }
      pending = 0;
    }
  }
}
