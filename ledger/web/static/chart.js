// Draws the shop's figures with Chart.js (served from node_modules by the server): sales and refunds per day,
// return rate by SKU, contacts per purchase, CSAT and NPS per day, settled against escrow.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const still = {animation: false, responsive: true};
  const draw = (id, type, labels, datasets, options = {}) =>
    new Chart(document.getElementById(id), {type, data: {labels, datasets}, options: {...still, ...options}});
  const zeroBased = {scales: {y: {beginAtZero: true}}};

  draw("sales-chart", "bar", data.sales.labels, [
    {label: "Sales (ETH)", data: data.sales.sales, backgroundColor: "#2b6cb0"},
    {label: "Refunds (ETH)", data: data.sales.refunds, backgroundColor: "#c05621"},
  ], zeroBased);
  draw("sku-chart", "bar", data.skus.labels,
    [{label: "Returned (%)", data: data.skus.rates, backgroundColor: "#c05621"}],
    {scales: {y: {beginAtZero: true, max: 100}}});
  draw("contacts-chart", "bar", data.contacts.labels,
    [{label: "Purchases", data: data.contacts.purchases, backgroundColor: "#2f855a"}],
    {scales: {y: {beginAtZero: true, ticks: {precision: 0}}, x: {title: {display: true, text: "contacts"}}}});
  draw("feedback-chart", "bar", data.feedback.labels, [
    {label: "CSAT", data: data.feedback.csat, backgroundColor: "#2b6cb0", yAxisID: "csat"},
    {label: "NPS", data: data.feedback.nps, backgroundColor: "#805ad5", yAxisID: "nps"},
  ], {scales: {csat: {position: "left", min: 0, max: 5}, nps: {position: "right", min: -100, max: 100}}});
  draw("escrow-chart", "doughnut", data.escrow.labels,
    [{data: data.escrow.amounts, backgroundColor: ["#2f855a", "#d69e2e", "#c05621"]}], {aspectRatio: 2});
})();
