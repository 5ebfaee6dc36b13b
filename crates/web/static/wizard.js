// scanrelay console: the wizard's live check (polls the steps as they finish, then shows the
// finished page) and the device sheet's Print button. Only textContent is used, so nothing
// from the server is ever parsed as HTML.
(function () {
  "use strict";
  var print = document.getElementById("print");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
  var box = document.getElementById("check-steps");
  if (!box || !box.dataset.poll) { return; }
  var list = box.querySelector("ol");
  var shown = list.children.length;

  function add(step) {
    var li = document.createElement("li");
    li.className = step.ok ? "ok" : "failed";
    li.textContent = step.label + " (" + step.ms + " ms)" + (step.note ? " \u2014 " + step.note : "");
    if (step.exchange) {
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      summary.textContent = "SMTP";
      var pre = document.createElement("pre");
      pre.textContent = step.exchange;
      details.appendChild(summary);
      details.appendChild(pre);
      li.appendChild(details);
    }
    list.appendChild(li);
  }

  function poll() {
    fetch(box.dataset.poll, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        for (var i = shown; i < data.steps.length; i++) { add(data.steps[i]); }
        shown = data.steps.length;
        if (data.done) { window.location.reload(); return; }
        setTimeout(poll, 500);
      })
      .catch(function () { setTimeout(poll, 1500); });
  }
  setTimeout(poll, 300);
})();

// The OAuth2 sign-in: asks how the server-side sign-in goes; when it ends, opens the
// connection check that follows it, or shows the page again with the result.
(function () {
  "use strict";
  var box = document.getElementById("signin");
  if (!box || !box.dataset.poll) { return; }
  function poll() {
    fetch(box.dataset.poll, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (data.state === "waiting") { setTimeout(poll, 2000); return; }
        if (data.next && data.next.indexOf("/wizard/check/") === 0) { window.location.assign(data.next); return; }
        window.location.reload();
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 2000);
})();
