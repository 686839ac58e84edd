// The clinic overview kept current: when a patient's session ends on this server, the server sends an "overview"
// event (server-sent events) and the list is fetched again and put in place, without reloading the page. Without
// JavaScript the page works as it is (reload it to see changes).
"use strict";
(function () {
  const list = document.getElementById("overview");
  if (!list || !window.EventSource) {
    return;
  }
  const events = new EventSource("/staff/events");
  events.addEventListener("overview", async function () {
    const response = await fetch(location.pathname + location.search, { credentials: "same-origin" });
    if (!response.ok) {
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("overview");
    const current = document.getElementById("overview");
    if (fresh && current) {
      current.replaceWith(fresh);
    }
  });
})();
