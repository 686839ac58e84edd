// rehabkit serve: offline use of today's session, an enhancement only (without JavaScript every form posts as usual).
// It registers the service worker (sw.js), which keeps the pages fetched; asks it to keep the pages of today's plan
// ahead of this one (named by the page); gives every form an idempotency key; and, while the device is offline,
// keeps an answer on this device (localStorage) instead of sending it, then shows the next page kept. Back online,
// the answers kept are sent in the order given, each with its key: the server takes a key once, so a queue sent
// twice stores one session. An answer the server refuses (409) is dropped and the patient is told it was not recorded.
"use strict";
(function () {
  var QUEUE = "rehabkit-queue", CACHE = "rehabkit-today", DROPPED = "rehabkit-dropped";
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* http: no offline use */ });
  }

  function key() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  function queue() { try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; } }
  function keep(items) { localStorage.setItem(QUEUE, JSON.stringify(items)); }

  function status(text) {
    var box = document.getElementById("offline-status");
    if (!box) {
      box = document.createElement("p");
      box.id = "offline-status";
      box.className = "notes";
      box.setAttribute("role", "status");
      document.querySelector("main").prepend(box);
    }
    box.textContent = text;
  }

  function keepAhead() {
    var meta = document.querySelector('meta[name="rehabkit-ahead"]');
    if (!meta || !window.caches || !navigator.onLine) { return; }
    var pages = meta.content.split(" ").filter(Boolean);
    caches.open(CACHE).then(function (cache) {
      pages.forEach(function (page) {
        fetch(page, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) { cache.put(page, response); }
        }).catch(function () { /* offline meanwhile: kept later */ });
      });
    });
  }

  // Answers the server refused (409: the session had moved on, an old page) are dropped, never silently.
  function dropped() {
    localStorage.removeItem(DROPPED);
    status("Some answers you gave offline were NOT recorded: your session had moved on or the page was old. " +
      "Open your session again and answer there.");
  }

  function send() {
    var items = queue();
    if (!items.length || !navigator.onLine) { return; }
    status("Sending the answers you gave offline…");
    var item = items[0];
    var body = new URLSearchParams(item.fields);
    fetch(item.action, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      if (response.status === 409) { localStorage.setItem(DROPPED, "1"); }
      else if (!response.ok) { status("Your answers could not be sent: open this page again, or ask your clinic."); return; }
      keep(queue().filter(function (other) { return other.key !== item.key; }));
      if (queue().length) { send(); } else if (localStorage.getItem(DROPPED)) { dropped(); }
      else { location.assign(item.action === "/morning" ? "/morning" : "/session"); }
    }, function () { status("Your answers are kept on this device and will be sent when you are back online."); });
  }

  document.querySelectorAll('form[method="post"]').forEach(function (form) {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "key";
    field.value = key();
    form.appendChild(field);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "").toLowerCase() !== "post" || navigator.onLine) { return; }
    event.preventDefault();
    var next = form.dataset.next;
    if (!next) { status("You are offline: this step needs the connection. Try again when you are back online."); return; }
    var fields = Array.from(new FormData(form, event.submitter).entries());
    var items = queue();
    items.push({ key: form.elements.key.value, action: form.getAttribute("action"), fields: fields });
    keep(items);
    if (next === "end") {
      status("Your answers are kept on this device and will be sent when you are back online.");
      form.hidden = true;
    } else {
      location.assign(next);
    }
  });

  window.addEventListener("online", send);
  if (navigator.onLine) { send(); keepAhead(); }
})();
