/* The book's search scorer (html_search_scorer in _config.yml; Sphinx puts it into
 * language_data.js). Sphinx's weights are kept; one rule is added: a result whose page or
 * section title contains the whole query ("curse of memory", "Riesz") comes first,
 * a page title before a section title. Sphinx's own title rule scores such a page at
 * most 16, below pages that merely contain one of the words in their title, and
 * scores each page by its best single word. tests/book/test_mobile.py searches in a browser.
 */
var Scorer = {
  score: (result) => {
    const [docname, title, anchor, descr, score, filename] = result;
    const params = new URLSearchParams(window.location.search);
    const query = (params.get("q") || "").toLowerCase().replace(/\s+/g, " ").trim();
    const text = (title || "").toLowerCase();
    if (query.length >= 3 && text.includes(query)) {
      return score + (anchor ? 40 : 50);
    }
    return score;
  },
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: {
    0: 15,
    1: 5,
    2: -5,
  },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
