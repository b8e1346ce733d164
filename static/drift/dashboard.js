// Draw every chart of the monitoring dashboard from the configurations the server embedded.
// Charts inside a closed <details> are drawn when it opens: a hidden canvas has no size.
(function () {
  "use strict";
  var source = document.getElementById("drift-charts");
  if (!source || typeof Chart === "undefined") { return; }
  var configs = JSON.parse(source.textContent);
  function draw(canvas) {
    var config = configs[canvas.dataset.chart];
    if (config && !canvas.chart) { canvas.chart = new Chart(canvas, config); }
  }
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var closed = canvas.closest("details:not([open])");
    if (!closed) { draw(canvas); return; }
    closed.addEventListener("toggle", function () { if (closed.open) { draw(canvas); } }, { once: true });
  });
})();
