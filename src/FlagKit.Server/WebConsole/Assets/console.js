// FlagKit console: progressive enhancement only; every page works without it.
// Served as a file (the Content-Security-Policy allows no inline script). Text goes in with textContent, never as markup.
"use strict";

(function () {
  function say(text) {
    var status = document.getElementById("status");
    if (status) { status.textContent = text; }
  }

  // Instances: refresh the rows from the JSON endpoint every 2 s.
  function pollTable(table) {
    var url = table.getAttribute("data-poll");
    var body = table.tBodies[0];
    function refresh() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (data) {
          var revision = document.querySelector("[data-live=revision]");
          if (revision) { revision.textContent = String(data.revision); }
          var rows = document.createDocumentFragment();
          if (data.rows.length === 0) {
            var empty = document.createElement("tr");
            var cell = document.createElement("td");
            cell.colSpan = 6;
            cell.textContent = "No SDK is connected to " + data.environment + ".";
            empty.appendChild(cell);
            rows.appendChild(empty);
          }
          data.rows.forEach(function (cells) {
            var tr = document.createElement("tr");
            cells.forEach(function (text, i) {
              var td = document.createElement(i === 0 ? "th" : "td");
              if (i === 0) { td.scope = "row"; }
              td.textContent = text;
              tr.appendChild(td);
            });
            rows.appendChild(tr);
          });
          body.replaceChildren(rows);
        })
        .catch(function (e) { say("Could not refresh the instances: " + e.message); })
        .finally(function () { window.setTimeout(refresh, 2000); });
    }
    window.setTimeout(refresh, 2000);
  }

  // Rollout slider: show the value, and the preview the server computes with the SDK's bucketing, before saving.
  function previewSlider(slider) {
    var output = document.getElementById("rollout-value");
    var preview = document.getElementById("rollout-preview");
    var timer = 0;
    var asked = 0;
    slider.addEventListener("input", function () {
      if (output) { output.textContent = slider.value + " %"; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var ask = ++asked;
        fetch(slider.getAttribute("data-preview") + "&percent=" + encodeURIComponent(slider.value), { credentials: "same-origin" })
          .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
          .then(function (data) { if (ask === asked && preview) { preview.textContent = data.text; } })
          .catch(function (e) { if (preview) { preview.textContent = "No preview: " + e.message; } });
      }, 120);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-poll]").forEach(pollTable);
    document.querySelectorAll("input[type=range][data-preview]").forEach(previewSlider);
  });
})();
