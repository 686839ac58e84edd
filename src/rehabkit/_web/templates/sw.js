// rehabkit serve: the service worker (scope /), an enhancement only. It keeps the patient's pages of today's session
// on this device as they are fetched (the session's page, the pages ahead of it that offline.js asks for, the
// morning check-in, the pain chart) with the style and scripts, and shows the kept copy when the network fails.
// It keeps nothing of the clinician's pages or the sign-in links, and never answers a POST: answers given offline
// are kept by offline.js and sent when the device is back online.
"use strict";
var CACHE = "rehabkit-today";
var FILES = ["/style.css", "/timer.js", "/offline.js"];
var PAGES = ["/session", "/morning", "/progress"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(FILES); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function kept(url) {
  return url.origin === self.location.origin &&
    (FILES.indexOf(url.pathname) >= 0 || PAGES.indexOf(url.pathname) >= 0 || url.pathname.indexOf("/session/ahead/") === 0);
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || !kept(url)) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }, function () {
    return caches.match(url.pathname).then(function (hit) {
      return hit || new Response("<!doctype html><html lang=en><title>Offline</title><p>You are offline, and this " +
        "page is not kept on this device. Go back, or open it again when you are online.</p></html>",
        { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
    });
  }));
});
