// Draw the registry pages' charts from the configurations the server embedded (json_script).
(function () {
  "use strict";
  var source = document.getElementById("registry-charts");
  if (!source || typeof Chart === "undefined") { return; }
  var configs = JSON.parse(source.textContent);
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var config = configs[canvas.dataset.chart];
    if (config) { canvas.chart = new Chart(canvas, config); }
  });
})();
