// The call-up display without reloads: poll the JSON every few seconds and rewrite the table only
// when something changed, so the aria-live region announces new calls once. Without JavaScript the
// page reloads itself (<noscript><meta http-equiv="refresh">).
(function () {
  "use strict";
  var INTERVAL_MS = 4000;
  var region = document.getElementById("callup");
  if (!region || !window.fetch) {
    return;
  }
  var source = region.getAttribute("data-source");
  var body = region.querySelector("tbody");
  var waiting = region.querySelector(".callup__waiting strong");
  var last = region.getAttribute("data-state");

  function cell(text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) {
      td.className = className;
    }
    return td;
  }

  function render(state) {
    var rows = document.createDocumentFragment();
    state.calls.forEach(function (call, index) {
      var tr = document.createElement("tr");
      if (index === 0) {
        tr.className = "callup__newest";
      }
      tr.appendChild(cell(call.number));
      tr.appendChild(cell(call.counter));
      rows.appendChild(tr);
    });
    if (!state.calls.length) {
      var tr = document.createElement("tr");
      var td = cell(region.getAttribute("data-empty-de") + " ", "callup__empty");
      td.colSpan = 2;
      var en = document.createElement("span");
      en.lang = "en";
      en.textContent = "/ " + region.getAttribute("data-empty-en");
      td.appendChild(en);
      tr.appendChild(td);
      rows.appendChild(tr);
    }
    while (body.firstChild) {
      body.removeChild(body.firstChild);
    }
    body.appendChild(rows);
    waiting.textContent = String(state.waiting);
  }

  function poll() {
    fetch(source, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (state) {
        if (!state) {
          return;
        }
        var key = JSON.stringify(state);
        if (key !== last) {
          render(state);
        }
        last = key;
      })
      .catch(function () {
        // Network hiccup: keep showing the last state and try again at the next tick.
      })
      .then(function () {
        window.setTimeout(poll, INTERVAL_MS);
      });
  }

  poll();
})();
