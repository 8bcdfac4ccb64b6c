// Polls how far a decree's letters are rendered and updates the bar; no inline script (CSP).
(function () {
  "use strict";
  var box = document.getElementById("decree-letters");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  function set(selector, value) {
    var node = box.querySelector(selector);
    if (node) { node.textContent = String(value); }
  }
  function update(progress) {
    var percent = progress.percent || 0;
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    bar.setAttribute("aria-valuenow", String(percent));
    set(".letters-rendered", progress.rendered);
    set(".letters-pending", progress.pending);
    set(".letters-voided", progress.voided);
    set(".letters-total", progress.total);
    var running = box.querySelector(".letters-running");
    if (running) { running.hidden = progress.done; }
    return !progress.done;
  }
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (progress) {
        if (update(progress)) { window.setTimeout(poll, 2000); } else if (box.dataset.done !== "true") { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  bar.style.width = (box.dataset.percent || "0") + "%";
  if (box.dataset.done !== "true") { window.setTimeout(poll, 1000); }
})();
