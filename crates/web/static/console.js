// scanrelay console: refreshes the events table from /events.json every few seconds.
// Only textContent is used, so nothing from an event is ever parsed as HTML.
(function () {
  "use strict";
  var table = document.getElementById("events");
  if (!table) { return; }
  var body = table.querySelector("tbody");
  var empty = document.getElementById("events-empty");
  var every = 3000;

  function row(ev) {
    var tr = document.createElement("tr");
    tr.className = "event event-" + ev.kind;
    [ev.time, ev.text].forEach(function (value) {
      var td = document.createElement("td");
      td.textContent = value;
      tr.appendChild(td);
    });
    return tr;
  }

  function refresh() {
    fetch("/events.json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) {
        if (!data || !Array.isArray(data.events)) { return; }
        var fresh = document.createElement("tbody");
        data.events.forEach(function (ev) { fresh.appendChild(row(ev)); });
        table.replaceChild(fresh, body);
        body = fresh;
        table.hidden = data.events.length === 0;
        if (empty) { empty.hidden = data.events.length !== 0; }
      })
      .catch(function () { /* the gateway restarted or the network blinked: try again later */ })
      .then(function () { setTimeout(refresh, every); });
  }
  setTimeout(refresh, every);
})();
