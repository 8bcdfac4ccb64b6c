/* Bar charts of the overdue dashboard (Chart.js, vendored in static/vendor/).
   Each <canvas data-chart> carries its title, labels, values and, when the user may open
   the case list, one link per bar: clicking a bar opens the list filtered to that set. */
(function () {
  "use strict";
  var COLOURS = ["#f0ad4e", "#e8884a", "#d9534f", "#a72a26", "#5b8cc4", "#4e9a6a"];

  function draw(canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var links = spec.links || [];
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: [{
          label: spec.title,
          data: spec.values,
          backgroundColor: spec.labels.map(function (_, i) { return COLOURS[i % COLOURS.length]; })
        }]
      },
      options: {
        plugins: { legend: { display: false }, title: { display: true, text: spec.title } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        onClick: function (_event, elements) {
          if (elements.length && links[elements[0].index]) {
            window.location.href = links[elements[0].index];
          }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
