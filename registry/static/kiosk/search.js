/* Ikrar kiosk: finding your own name, online and offline (the same steps as registry/core/name_search.py).
 *
 * The roster of the tablet's commitment (names, positions, institutions, category labels, whether
 * each signed) is fetched from /kiosk/roster and kept in IndexedDB for the event, so search works
 * when the venue Wi-Fi drops. It is deleted when the tablet leaves kiosk mode or its enrolment is
 * gone. The list of honorifics and titles comes with the roster: one list, on the server. */
"use strict";
window.IkrarSearch = (function () {
  var APOSTROPHES = "'\u2018\u2019\u02bc\u02bb\u0060\u00b4.";
  var MAX_RESULTS = 8;
  var titles = {};

  function words(text) {
    var bare = String(text).normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss");
    var found = [], current = "";
    for (var ch of bare) {
      if (APOSTROPHES.indexOf(ch) >= 0) continue;
      if (/[\p{L}\p{N}]/u.test(ch)) { current += ch; }
      else if (current) { found.push(current); current = ""; }
    }
    if (current) found.push(current);
    return found;
  }

  function searchWords(text) {
    var all = words(text);
    var kept = all.filter(function (w) { return !titles[w]; });
    return kept.length ? kept : all;
  }

  // [exact matches, words left over] when each query word prefixes a distinct target word.
  function covers(query, target) {
    var free = target.slice();
    var exact = 0;
    var sorted = query.slice().sort(function (a, b) { return b.length - a.length; });
    for (var i = 0; i < sorted.length; i++) {
      var word = sorted[i];
      var at = free.indexOf(word);
      if (at >= 0) { free.splice(at, 1); exact++; continue; }
      var best = -1;
      for (var j = 0; j < free.length; j++) {
        if (free[j].indexOf(word) === 0 && (best < 0 || free[j].length < free[best].length)) best = j;
      }
      if (best < 0) return null;
      free.splice(best, 1);
    }
    return [exact, free.length];
  }

  // A rank (smaller is better) or null: name matches first, then more whole words, fewer left over.
  function match(query, name, institution) {
    var wanted = searchWords(query);
    if (!wanted.length) return null;
    var tries = [[wanted, searchWords(name)], [words(query), words(name)]];
    var inst = searchWords(institution || "");
    for (var pass = 0; pass < 2; pass++) {
      for (var t = 0; t < tries.length; t++) {
        var target = pass === 0 ? tries[t][1] : tries[t][1].concat(inst);
        var c = covers(tries[t][0], target);
        if (c) return [pass, -c[0], c[1], name.toLowerCase()];
      }
    }
    return null;
  }

  function compare(a, b) {
    for (var i = 0; i < 3; i++) { if (a.rank[i] !== b.rank[i]) return a.rank[i] - b.rank[i]; }
    if (a.rank[3] !== b.rank[3]) return a.rank[3] < b.rank[3] ? -1 : 1;
    return a.entry.id - b.entry.id;
  }

  function search(invitees, query) {
    var ranked = [];
    invitees.forEach(function (entry) {
      var rank = match(query, entry.name, entry.institution);
      if (rank) ranked.push({ rank: rank, entry: entry });
    });
    ranked.sort(compare);
    return { invitees: ranked.slice(0, MAX_RESULTS).map(function (r) { return r.entry; }), more: ranked.length > MAX_RESULTS };
  }

  // ---------------------------------------------------------------- the roster, kept for the event
  var DB = "ikrar-kiosk-roster";
  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("roster"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function keep(doc) {
    return open().then(function (db) {
      return new Promise(function (resolve) {
        var tx = db.transaction("roster", "readwrite");
        tx.objectStore("roster").put(doc, "current");
        tx.oncomplete = function () { db.close(); resolve(); };
        tx.onerror = function () { db.close(); resolve(); };
      });
    }).catch(function () {});
  }
  function kept() {
    return open().then(function (db) {
      return new Promise(function (resolve) {
        var req = db.transaction("roster").objectStore("roster").get("current");
        req.onsuccess = function () { db.close(); resolve(req.result || null); };
        req.onerror = function () { db.close(); resolve(null); };
      });
    }).catch(function () { return null; });
  }
  function forget() {
    return new Promise(function (resolve) {
      try {
        var req = indexedDB.deleteDatabase(DB);
        req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
      } catch (e) { resolve(); }
    });
  }

  var roster = null;
  function use(doc) { roster = doc; titles = {}; (doc.titles || []).forEach(function (t) { titles[t] = true; }); }

  // Fetch the roster (online); else the one kept on this tablet for its commitment.
  function load(url, commitment) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { roster = null; return forget().then(function () { return null; }); }
        if (!r.ok) throw new Error("roster " + r.status);
        return r.json().then(function (doc) { use(doc); return keep(doc).then(function () { return doc; }); });
      })
      .catch(function () {
        return kept().then(function (doc) {
          if (doc && doc.commitment === commitment) use(doc);
          return roster;
        });
      });
  }

  function markSigned(inviteeId) {
    if (!roster) return;
    roster.invitees.forEach(function (i) { if (i.id === inviteeId) i.signed = true; });
    keep(roster);
  }

  // A listed invitee whose name has exactly the same search words as ``name`` (any order).
  function listedTwin(name) {
    var wanted = searchWords(name).slice().sort().join(" ");
    if (!roster || !wanted) return null;
    for (var i = 0; i < roster.invitees.length; i++) {
      var entry = roster.invitees[i];
      if (searchWords(entry.name).slice().sort().join(" ") === wanted) return entry;
    }
    return null;
  }

  return {
    listedTwin: listedTwin,
    words: words, searchWords: searchWords, match: match, load: load, forget: forget, markSigned: markSigned,
    ready: function () { return roster !== null; },
    find: function (query) { return search(roster ? roster.invitees : [], query); },
    searchIn: search, useTitles: function (list) { use({ titles: list, invitees: [] }); }
  };
})();
