// Draws the shop's figures of the period with Chart.js (served from node_modules by the server): sales and refunds
// per day, return rate by SKU, contacts per purchase, CSAT and NPS per day, settled against escrow. The same numbers
// are in each chart's table (its text alternative, which the canvas names with aria-describedby).
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const still = {animation: false, responsive: true, maintainAspectRatio: true};
  const colours = ["#2b6cb0", "#c05621", "#2f855a", "#805ad5", "#d69e2e"];
  // A series' words (its table's cells) in the tooltip too: "50.0% (2 of 4 units)", not a bare 50.
  const words = (series) => ({callbacks: {label: (item) => `${item.dataset.label}: ${series[item.datasetIndex].shown[item.dataIndex]}`}});
  const draw = (id, type, chart, options = {}, style = () => ({})) =>
    new Chart(document.getElementById(id), {
      type,
      data: {labels: chart.labels, datasets: chart.series.map((s, i) => ({label: s.label, data: s.values, ...style(s, i)}))},
      options: {...still, ...options, plugins: {tooltip: words(chart.series)}},
    });
  const bars = (s, i) => ({backgroundColor: colours[i]});

  draw("sales-chart", "bar", data.sales, {scales: {y: {beginAtZero: true}}}, bars);
  draw("sku-chart", "bar", data.sku, {scales: {y: {beginAtZero: true, max: 100}}}, () => ({backgroundColor: colours[1]}));
  draw("contacts-chart", "bar", data.contacts,
    {scales: {y: {beginAtZero: true, ticks: {precision: 0}}, x: {title: {display: true, text: "contacts"}}}},
    () => ({backgroundColor: colours[2]}));
  draw("feedback-chart", "bar", data.feedback,
    {scales: {csat: {position: "left", min: 0, max: 5}, nps: {position: "right", min: -100, max: 100}}},
    (s, i) => ({backgroundColor: colours[i === 0 ? 0 : 3], yAxisID: i === 0 ? "csat" : "nps"}));
  draw("escrow-chart", "doughnut", data.escrow, {aspectRatio: 2},
    () => ({backgroundColor: [colours[2], colours[4], colours[1]]}));
})();
