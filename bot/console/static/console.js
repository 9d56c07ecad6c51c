// The console's only script: deadlines count down, and the queue refreshes itself when the
// server says it changed (server-sent events). Everything works without it, by reloading.
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s % 60);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var left = Date.parse(el.dataset.deadline) - now;
      var row = el.closest("tr");
      if (left < 0) {
        el.textContent = el.dataset.late + " " + span(left);
        el.classList.add("late");
        if (row) { row.classList.add("breached"); }
      } else {
        el.textContent = span(left);
      }
    });
    document.querySelectorAll(".age[data-since]").forEach(function (el) {
      el.textContent = Math.floor((now - Date.parse(el.dataset.since)) / 60000) + " min";
    });
  }

  function refresh(live) {
    var rows = document.getElementById("rows");
    var typing = document.activeElement;
    if (typing && rows.contains(typing) && typing.value) {
      // Someone is writing a resolution note: the new rows wait until they leave it.
      typing.addEventListener("blur", function () { refresh(live); }, {once: true});
      return;
    }
    fetch(live.dataset.rows, {credentials: "same-origin", headers: {"X-Console-Fetch": "1"}})
      .then(function (response) {
        if (response.status === 401) { window.location.href = "/login?expired=1"; return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        rows.innerHTML = html;
        var first = rows.querySelector("tr[data-total]");
        document.getElementById("total").textContent = first ? first.dataset.total : "0";
        tick();
      })
      .catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
    var live = document.getElementById("live");
    if (!live || !window.EventSource) { return; }
    var source = new EventSource("/events");
    source.addEventListener("queue", function () { refresh(live); });
    source.onerror = function () { refresh(live); };
  });
})();
