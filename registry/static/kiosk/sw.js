/* Ikrar kiosk service worker: keeps the kiosk page and its assets loadable while offline.
 * Only the shell is cached (commitment text, scripts, styles) — never search results or signatures. */
"use strict";
var CACHE = "ikrar-kiosk-shell-v5";
var SHELL = ["/kiosk", "/static/kiosk/pad.js", "/static/kiosk/search.js", "/static/kiosk/sync.js", "/static/kiosk/progress.js", "/static/kiosk/kiosk.js", "/static/kiosk/kiosk.css"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).catch(function () {}));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || SHELL.indexOf(url.pathname) < 0) return;
  // Network first, so a changed commitment or a withdrawn enrolment shows at once; the cache when offline.
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
  }));
});
