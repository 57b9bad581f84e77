// The supplier's six-month trend: on-time, refund and return rates (percent) from the JSON blocks the
// page carries (no inline script: the site's CSP allows scripts from its own origin only).
(function () {
  "use strict";

  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function numbers(values) {
    return (values || []).map(function (v) { return v === null ? null : Number(v); });
  }

  function draw() {
    var box = document.getElementById("scorecard-chart");
    var data = read("scorecard-data");
    var labels = read("scorecard-labels") || {};
    if (!box || !data || !window.echarts) {
      return;
    }
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [labels.on_time, labels.refund, labels.return], top: 0 },
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", min: 0, max: 100 },
      series: [
        { name: labels.on_time, type: "line", data: numbers(data.on_time), connectNulls: true, itemStyle: { color: "#07c160" } },
        { name: labels.refund, type: "line", data: numbers(data.refund), connectNulls: true, itemStyle: { color: "#fa5151" } },
        { name: labels.return, type: "line", data: numbers(data.return), connectNulls: true, itemStyle: { color: "#f5a623" } }
      ]
    });
    box.setAttribute("data-ready", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
