// The book's small additions to the theme (loaded on every page by Jupyter Book).
//
// The theme gives a scrollable code block or output a tab stop (so that keyboard
// users can scroll it) when the page loads; a block inside a folded solution is
// not scrollable yet at that moment. When a solution opens, do it again.
(function () {
  "use strict";
  const SCROLLABLE = "pre, .cell_output > .output, .pst-scrollable-table-container";
  function updateTabStops(root) {
    root.querySelectorAll(SCROLLABLE).forEach(function (el) {
      const scrolls = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
      if (scrolls) el.tabIndex = 0;
    });
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest(".toggle-button, summary");
    if (!button) return;
    const box = button.closest(".admonition, details") || document;
    // After the toggle's own handler has opened the box.
    setTimeout(function () { updateTabStops(box); }, 0);
  });
})();

// Search results: Sphinx makes each result's snippet from the text of the
// page's [role="main"] element, which in this theme starts with the header's
// download menu (".ipynb .md .pdf") and holds the math as raw TeX. The snippet
// is made from the article alone, with its math as plain text.
(function () {
  "use strict";
  const SYMBOLS = {times: "×", cdot: "·", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", to: "→",
    infty: "∞", partial: "∂", sum: "Σ", in: "∈", approx: "≈", odot: "⊙", oplus: "⊕", dots: "…",
    ldots: "…", delta: "δ", varepsilon: "ε", sigma: "σ", lambda: "λ", top: "ᵀ", leftarrow: "←",
    gets: "←", quad: " ", qquad: " "};
  function plainTex(tex) {
    return tex
      .replace(/^\s*\\[([]|\\[)\]]\s*$/g, "")
      .replace(/\\(operatorname|mathrm|mathbf|mathit|text|texttt|mathbb)\s*\{([^{}]*)\}/g, "$2")
      .replace(/\\[,;:!]/g, " ")
      .replace(/\\([A-Za-z]+)/g, (m, name) => SYMBOLS[name] || name)
      .replace(/[{}\\]/g, "");
  }
  function cleaned(htmlString) {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    const main = doc.querySelector('[role="main"]');
    const article = doc.querySelector("article.bd-article");
    if (main && article && main !== article) main.replaceChildren(article);
    doc.querySelectorAll(".math").forEach((el) => { el.textContent = plainTex(el.textContent); });
    return doc.documentElement.outerHTML;
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => htmlToText(cleaned(htmlString), anchor);
  });
})();
