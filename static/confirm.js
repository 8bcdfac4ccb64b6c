// Replaces Flask-Admin's inline onclick handlers, which the Content-Security-Policy
// (script-src 'self') blocks:
// - a button or link marked data-confirm="message" asks before it acts (the delete button
//   of an admin list row);
// - a link marked data-model-action="name" runs that bulk action on the checked rows
//   (Flask-Admin's actions.js asks for its own confirmation).
(function () {
  "use strict";

  function closest(event, selector) {
    return event.target instanceof Element ? event.target.closest(selector) : null;
  }

  document.addEventListener(
    "click",
    function (event) {
      var target = closest(event, "[data-confirm]");
      if (target && !window.confirm(target.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener("click", function (event) {
    var link = closest(event, "[data-model-action]");
    if (!link) {
      return;
    }
    event.preventDefault();
    if (window.modelActions) {
      window.modelActions.execute(link.getAttribute("data-model-action"));
    }
  });
})();
