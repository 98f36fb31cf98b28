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

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-poll]").forEach(pollTable);
  });
})();
