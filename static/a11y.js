/* Names for Flask-Admin's unlabelled controls (its list templates are not ours to edit):
   row checkboxes get their title as label, the icon-only "clear search" link a text. */
(function () {
  "use strict";
  var script = document.currentScript;
  var clearSearch = script ? script.getAttribute("data-clear-search") : null;
  document.querySelectorAll("input[title]:not([aria-label])").forEach(function (input) {
    if (!input.labels || input.labels.length === 0) {
      input.setAttribute("aria-label", input.getAttribute("title"));
    }
  });
  if (clearSearch) {
    document.querySelectorAll(".input-group-text a.align-middle").forEach(function (link) {
      if (!link.textContent.trim()) { link.setAttribute("aria-label", clearSearch); }
    });
  }
})();
