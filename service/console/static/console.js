// The overview's chart (Chart.js, vendored). The figures are also in a table on the page.
window.addEventListener("load", function () {
  var canvas = document.getElementById("billed-paid");
  var source = document.getElementById("chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.months,
      datasets: [
        { label: "Billed", data: data.billed.map(Number), backgroundColor: "#1d4f91" },
        { label: "Paid", data: data.paid.map(Number), backgroundColor: "#2e7d32" }
      ]
    },
    options: { responsive: true, maintainAspectRatio: false, animation: false }
  });
});

// A long form (a batch being built) says so while the browser waits for the answer.
document.addEventListener("submit", function (event) {
  var id = event.target.getAttribute("data-busy");
  if (id) {
    var status = document.getElementById(id);
    if (status) status.hidden = false;
    var button = event.target.querySelector("button[type=submit]");
    if (button) button.disabled = true;
  }
});
