// Lepton dashboard: CSRF header for htmx, and charts drawn from JSON data blocks.
// No inline script anywhere (the CSP forbids it): pages carry data in
// <script type="application/json" id="..."> blocks and <div data-chart="id"> targets.
"use strict";

document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
});

var PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];

function filled(values) {
  return values.filter(function (v) { return v !== null; }).length;
}

function drawChart(target) {
  if (target.dataset.drawn === "1" || typeof uPlot === "undefined") { return; }
  var source = document.getElementById(target.dataset.chart);
  if (!source) { return; }
  var spec = JSON.parse(source.textContent);
  var scatter = spec.kind === "scatter";
  var series = [{ label: spec.x_label || "x" }];
  var data = [spec.x];
  spec.series.forEach(function (s, i) {
    var color = s.color || PALETTE[i % PALETTE.length];
    series.push({
      label: s.label,
      stroke: color,
      width: scatter ? 0 : 2,
      dash: s.dash || undefined,
      // points where a line alone would hide data: few values, or values between gaps
      points: { show: scatter || filled(s.values) < 40, size: scatter ? 8 : 5, fill: color },
      paths: scatter ? function () { return null; } : undefined,
      spanGaps: true
    });
    data.push(s.values.map(function (v) { return v === null ? null : Number(v); }));
  });
  var options = {
    width: Math.max(target.clientWidth, 320),
    height: spec.height || 220,
    title: spec.title || "",
    scales: { x: { time: !!spec.x_time } },
    axes: [{ label: spec.x_label || "" }, { label: spec.y_label || "" }],
    series: series
  };
  target.dataset.drawn = "1";
  new uPlot(options, data, target);
}

function drawCharts(root) {
  (root || document).querySelectorAll("[data-chart]").forEach(drawChart);
}

document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
