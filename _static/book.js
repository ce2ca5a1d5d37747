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
