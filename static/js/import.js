// Polls the import job's progress and updates the bar; no inline script (CSP).
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  function show(selector, visible) {
    var node = box.querySelector(selector);
    if (node) { node.hidden = !visible; }
  }
  function update(job) {
    var percent = job.percent || 0;
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    bar.setAttribute("aria-valuenow", String(percent));
    show(".import-running", job.state === "running");
    show(".import-done", job.state === "done");
    show(".import-failed", job.state === "failed");
    if (job.state === "done") { box.querySelector(".import-cases").textContent = job.cases; }
    if (job.state === "failed") { box.querySelector(".import-message").textContent = job.message || ""; }
    return job.state === "running";
  }
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) { if (update(job)) { window.setTimeout(poll, 700); } })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  bar.style.width = (box.dataset.percent || "0") + "%";
  if (box.dataset.state === "running") { poll(); }
})();
