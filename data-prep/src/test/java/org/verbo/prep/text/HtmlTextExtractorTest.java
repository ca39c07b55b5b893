package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HtmlTextExtractorTest {

  @Test
  void dropsBoilerplateAndKeepsParagraphs() {
    String html =
        "<html><head><title>Notícia &ndash; Jornal</title><style>p{color:red}</style></head><body>"
            + "<header><a href='/'>Início</a></header>"
            + "<nav><ul><li>Menu 1</li><li>Menu 2</li></ul></nav>"
            + "<div id='cookie-banner'>Este site usa cookies.</div>"
            + "<div class='breadcrumb'>Home &gt; Notícias</div>"
            + "<div role='navigation'>Anterior | Próxima</div>"
            + "<article><h1>Título do artigo</h1>"
            + "<p>Primeiro parágrafo com a&ccedil;&atilde;o\n e   cora\u00E7\u00E3o.</p>"
            + "<script>var x = 'não deve aparecer';</script>"
            + "<p>Segundo parágrafo, <b>é</b> verdade.</p></article>"
            + "<aside>Leia também</aside><form><button>Enviar</button></form>"
            + "<footer>© 2024</footer></body></html>";
    HtmlTextExtractor.Extracted x = HtmlTextExtractor.extract(html);
    assertEquals("Notícia – Jornal", x.title());
    assertEquals(
        "Título do artigo\n\nPrimeiro parágrafo com ação e coração.\n\nSegundo parágrafo, é verdade.",
        x.text());
  }

  @Test
  void listItemsAndBreaksAreLinesAndPreKeepsItsLines() {
    String html =
        "<body><p>Itens:</p><ul><li>um</li><li>dois</li></ul>linha<br>quebrada"
            + "<pre>x = 1\n  y = 2</pre></body>";
    assertEquals(
        "Itens:\n\num\ndois\n\nlinha\nquebrada\n\nx = 1\ny = 2", HtmlTextExtractor.extract(html).text());
  }

  @Test
  void wrapperNamedLikeBoilerplateAroundTheArticleSurvives() {
    String html =
        "<body><div class='page has-sidebar'><article><p>Texto principal.</p></article>"
            + "<div class='sidebar'>lateral</div></div></body>";
    HtmlTextExtractor.Extracted x = HtmlTextExtractor.extract(html);
    assertEquals("Texto principal.", x.text());
    assertEquals("", x.title());
  }

  @Test
  void tableCellsAreSeparated() {
    String html = "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>";
    assertEquals("a b\nc d", HtmlTextExtractor.extract(html).text());
  }
}
