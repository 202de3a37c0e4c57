// The console's few behaviours: load a saved test event, upload progress, keep the log tail
// scrolled, and the metric charts (uPlot over the JSON the page fetches). No build step.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-fills]") && select.value) {
      document.getElementById(select.dataset.fills).value = select.value;
    }
  });

  // htmx reports the XMLHttpRequest upload's progress on the element that sent it.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    var bar = form ? form.querySelector(".upload-progress") : null;
    if (bar && event.detail.lengthComputable) {
      var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
      bar.value = percent;
      bar.textContent = percent + " %";
    }
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var log = document.getElementById("log-lines");
    if (log && event.detail.target === log) {
      log.scrollTop = log.scrollHeight;
    }
  });

  var CHARTS = [
    ["Invocations", ["invocations"]],
    ["Errors and throttles", ["errors", "throttles"]],
    ["Duration (ms)", ["duration_p50", "duration_p99"]],
    ["Concurrent executions", ["concurrency"]],
  ];
  var COLOURS = { invocations: "#0b5cad", errors: "#b42318", throttles: "#9a6700", duration_p50: "#1a7f37", duration_p99: "#8250df", concurrency: "#0b5cad" };
  var LABELS = { invocations: "Invocations", errors: "Errors", throttles: "Throttles", duration_p50: "p50", duration_p99: "p99", concurrency: "Maximum" };

  function draw(root, data) {
    root.textContent = "";
    window.lambentChartData = data;
    ["invocations", "errors", "throttles"].forEach(function (name) {
      var out = document.getElementById(name + "-total");
      if (out) out.textContent = String(data[name + "_total"]);
    });
    document.getElementById("invocations-total").dataset.loaded = "true";
    CHARTS.forEach(function (chart) {
      var box = document.createElement("figure");
      box.className = "chart";
      var title = document.createElement("h3");
      title.textContent = chart[0];
      box.appendChild(title);
      box.setAttribute("aria-label", chart[0] + " over " + data.range);
      root.appendChild(box);
      var series = [{}].concat(chart[1].map(function (name) { return { label: LABELS[name], stroke: COLOURS[name], width: 2, spanGaps: true, points: { show: true, size: 5 } }; }));
      var columns = [data.x].concat(chart[1].map(function (name) { return data[name]; }));
      var width = Math.max(260, box.clientWidth);
      new window.uPlot({ width: width, height: 180, series: series, axes: [{}, { size: 50 }] }, columns, box);
    });
  }

  function load(root, range) {
    fetch(root.dataset.source + "?range=" + encodeURIComponent(range), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("metrics: " + response.status);
        return response.json();
      })
      .then(function (data) { draw(root, data); })
      .catch(function (error) { root.textContent = "Metrics could not be loaded (" + error.message + ")."; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("charts");
    if (!root) return;
    var range = "1h";
    document.querySelectorAll(".ranges button").forEach(function (button) {
      button.addEventListener("click", function () {
        if (button.dataset.range) {
          range = button.dataset.range;
          document.querySelectorAll(".ranges button[data-range]").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
        }
        load(root, range);
      });
    });
    load(root, range);
  });
})();
