// The home's 30-day trend: GMV (bars, yuan) and paid orders (line) from the JSON blocks the page
// carries (no inline script: the site's CSP allows scripts from its own origin only).
(function () {
  "use strict";

  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function draw() {
    var box = document.getElementById("console-trend-chart");
    var data = read("console-trend-data");
    var labels = read("console-trend-labels") || {};
    if (!box || !data || !window.echarts) {
      return;
    }
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [labels.gmv, labels.orders], top: 0 },
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.days },
      yAxis: [
        { type: "value", name: labels.gmv, splitLine: { show: true } },
        { type: "value", name: labels.orders, minInterval: 1, splitLine: { show: false } }
      ],
      series: [
        { name: labels.gmv, type: "bar", data: data.gmv_yuan.map(Number), itemStyle: { color: "#417690" } },
        { name: labels.orders, type: "line", yAxisIndex: 1, data: data.orders, itemStyle: { color: "#f5a623" } }
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
