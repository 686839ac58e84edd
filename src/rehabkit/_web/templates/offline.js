// rehabkit serve: offline use of today's session, an enhancement only (without JavaScript every form posts as usual).
// It registers the service worker (sw.js), which keeps the pages fetched; asks it to keep the pages of today's plan
// ahead of this one (named by the page); gives every form an idempotency key; and, while the device is offline,
// keeps an answer on this device (localStorage) instead of sending it, then shows the next page kept. Back online,
// the answers kept are sent in the order given, each with its key: the server takes a key once, so a queue sent
// twice stores one session. An answer the server refuses (409) is dropped and the patient is told it was not recorded.
"use strict";
(function () {
  var QUEUE = "rehabkit-queue", CACHE = "rehabkit-today", DROPPED = "rehabkit-dropped", OWNER = "rehabkit-tag";
  // The page's session tag (an opaque hash of this sign-in) and the day it was made, as the server rendered them.
  var TAG = meta("rehabkit-tag"), DAY = meta("rehabkit-day");
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* http: no offline use */ });
  }

  function meta(name) {
    var found = document.querySelector('meta[name="' + name + '"]');
    return found ? found.content : "";
  }

  function today() {
    var now = new Date(), pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
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

  // Another sign-in on this device (a shared phone): its queued answers are never sent under this one, and the
  // pages it kept go.
  function forgetOthers() {
    var items = queue(), mine = items.filter(function (item) { return item.tag === TAG; });
    if (mine.length !== items.length) { keep(mine); localStorage.setItem(DROPPED, "1"); }
    if (localStorage.getItem(OWNER) !== TAG) {
      if (window.caches) { caches.delete(CACHE); }
      localStorage.setItem(OWNER, TAG);
    }
  }

  function send() {
    forgetOthers();
    var items = queue();
    if (!items.length && localStorage.getItem(DROPPED)) { dropped(); return; }
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

  function hidden(form, name, value) {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = name;
    field.value = value;
    form.appendChild(field);
  }

  document.querySelectorAll('form[method="post"]').forEach(function (form) {
    hidden(form, "key", key());
    hidden(form, "tag", TAG);
  });

  // A page kept from another day is never shown as today's: offline, its forms go and the patient is told.
  function stale() {
    if (navigator.onLine || !DAY || DAY === today()) { return false; }
    document.querySelectorAll("form").forEach(function (form) { form.hidden = true; });
    status("This page is from " + DAY + ", not today. Connect to the internet and open your session again.");
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "").toLowerCase() !== "post" || navigator.onLine) { return; }
    event.preventDefault();
    if (stale()) { return; }
    var next = form.dataset.next;
    if (!next) {
      status(form.dataset.offline || "You are offline: this step needs the connection. Try again when you are back online.");
      return;
    }
    var fields = Array.from(new FormData(form, event.submitter).entries());
    var items = queue();
    items.push({ key: form.elements.key.value, tag: TAG, action: form.getAttribute("action"), fields: fields });
    keep(items);
    if (next === "end") {
      status("Your answers are kept on this device and will be sent when you are back online.");
      form.hidden = true;
    } else {
      location.assign(next);
    }
  });

  window.addEventListener("online", send);
  if (navigator.onLine) { send(); keepAhead(); } else { stale(); }
})();
