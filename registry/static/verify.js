/* The verify page's ONE verdict: the registry's status (rendered by the server in #verdict)
   combined with the on-device check of the QR statement in location.hash (docs/FORMATS.md §9),
   verified with WebCrypto Ed25519 against the registry's JWKS and compared field by field with
   the record the registry shows. Green only once that check has passed; red at the top when the
   QR does not verify or disagrees with the registry; recomputed when the fragment changes. */
(function () {
  "use strict";
  var top = document.getElementById("verdict");
  var box = document.getElementById("offline-check");
  var out = document.getElementById("check-result");
  if (!top || !box || !out) { return; }
  var live = document.getElementById("verdict-live");     // only for a "valid" registry status
  var qrNote = document.getElementById("verdict-qr");     // only for a "withdrawn" one
  var differences = document.getElementById("check-differences");
  var status = top.getAttribute("data-status");
  var ELLIPSIS = "\u2026";
  var MEMBERS = ["c", "code", "cv", "i", "k", "l", "n", "t", "v"];
  var run = 0;  // each check gets a number; an answer for an older fragment is dropped

  function d(name) { return box.getAttribute("data-" + name); }

  // The top verdict of a "valid" registry status: pending, valid (no QR statement),
  // valid-checked, mismatch or unchecked. Other statuses keep the server's verdict.
  function showVerdict(verdict) {
    if (!live) { return; }
    var template = document.getElementById("verdict-" + verdict);
    if (verdict === "pending") {
      live.replaceChildren.apply(live, pendingNodes.map(function (n) { return n.cloneNode(true); }));
    } else if (template) {
      live.replaceChildren(template.content.cloneNode(true));
    }
    var colour = verdict === "valid-checked" ? "valid" : verdict;
    top.className = "verdict verdict-" + colour;
    top.setAttribute("data-verdict", verdict);
  }

  // The QR's own result: ok, mismatch, unchecked, pending or none (no statement in the address).
  function showQr(result) {
    top.setAttribute("data-qr", result);
    if (!qrNote) { return; }
    qrNote.hidden = result === "none";
    qrNote.textContent = result === "none" ? "" : d("msg-qr-" + result);
    qrNote.className = "verdict-qr js-only verdict-qr-" + result;
  }

  // The details lower on the page (the technical wording may stay there).
  function showDetails(kind, differing) {
    out.textContent = d("msg-" + kind);
    // A genuine QR of a withdrawn signature is no reason for green anywhere on the page.
    box.className = "check check-" + (kind === "valid" && status === "withdrawn" ? "withdrawn" : kind);
    box.setAttribute("data-result", kind);
    var labels = (differing || []).map(function (field) { return d("label-" + field); });
    differences.hidden = labels.length === 0;
    differences.textContent = labels.length ? d("label-differs") + " " + labels.join(", ") : "";
  }

  function conclude(result, detail, differing) {
    showDetails(detail, differing);
    if (status === "valid") {
      showVerdict({ ok: "valid-checked", mismatch: "mismatch", unchecked: "unchecked", none: "valid" }[result]);
    }
    if (status === "valid" || status === "withdrawn") { showQr(result); }
  }

  function b64url(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) { throw new Error("not base64url"); }
    var padded = text.replace(/-/g, "+").replace(/_/g, "/");
    while (padded.length % 4) { padded += "="; }
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    var again = btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    if (again !== text) { throw new Error("base64url not canonical"); }
    return bytes;
  }

  // §9: a cut text ends with "…" and the full text starts with the rest.
  function textMatches(stated, full) {
    if (typeof stated !== "string") { return false; }
    if (stated === full) { return true; }
    var cps = Array.from(stated);
    return cps.length > 1 && cps[cps.length - 1] === ELLIPSIS &&
      full.indexOf(cps.slice(0, -1).join("")) === 0 && Array.from(full).length >= cps.length;
  }

  // The fields of the statement that disagree with the registry's record (empty: all agree).
  function differingFields(st) {
    var found = [];
    if (st.v !== 1 || Object.keys(st).sort().join() !== MEMBERS.join()) { found.push("format"); }
    if (st.code !== d("code")) { found.push("code"); }
    if (st.c !== d("commitment") || typeof st.cv !== "number" || String(st.cv) !== d("cv")) { found.push("commitment"); }
    if (!textMatches(st.n, d("name"))) { found.push("name"); }
    if (!textMatches(st.i, d("institution"))) { found.push("institution"); }
    if (st.t !== d("signed-at")) { found.push("signed-at"); }
    if (typeof st.k !== "string" || st.k.length !== 8 || d("kid").indexOf(st.k) !== 0) { found.push("kid"); }
    if (typeof st.l !== "number" || String(st.l) !== d("log-index")) { found.push("log-index"); }
    return found;
  }

  function parse(fragment) {
    var parts = fragment.split(".");
    if (parts.length !== 2) { throw new Error("shape"); }
    var statementBytes = b64url(parts[0]);
    var signature = b64url(parts[1]);
    var st = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(statementBytes));
    if (!st || typeof st !== "object" || Array.isArray(st) || signature.length !== 64) { throw new Error("shape"); }
    return { bytes: statementBytes, signature: signature, statement: st };
  }

  // The record's own key (named by the registry's kid for this record) from the registry's JWKS.
  function recordKey() {
    return fetch(d("jwks"), { credentials: "omit" })
      .then(function (r) { if (!r.ok) { throw new Error("jwks"); } return r.json(); })
      .then(function (jwks) {
        var keys = (jwks.keys || []).filter(function (k) { return k.purpose === "record" && k.kid === d("kid"); });
        if (keys.length !== 1) { throw new Error("no key"); }
        return keys[0];
      });
  }

  function check() {
    var mine = ++run;
    var current = function () { return mine === run; };
    var fragment = window.location.hash.slice(1);
    if (status !== "valid" && status !== "withdrawn") {
      showDetails(fragment ? "not-applicable" : "none");
      return;
    }
    if (!fragment) { conclude("none", "none"); return; }
    showDetails("pending");
    if (status === "valid") { showVerdict("pending"); }
    showQr("pending");
    var qr;
    try { qr = parse(fragment); } catch (e) { conclude("mismatch", "invalid"); return; }
    var differing = differingFields(qr.statement);
    if (differing.length) { conclude("mismatch", "mismatch", differing); return; }
    if (!(window.crypto && window.crypto.subtle)) { conclude("unchecked", "unsupported"); return; }
    recordKey().then(function (jwk) {
      return crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"])
        .then(function (key) {
          return crypto.subtle.verify("Ed25519", key, qr.signature, qr.bytes).then(function (ok) {
            if (!current()) { return; }
            if (ok) { conclude("ok", "valid"); } else { conclude("mismatch", "invalid"); }
          });
        }, function () { if (current()) { conclude("unchecked", "unsupported"); } });
    }, function () { if (current()) { conclude("unchecked", "unavailable"); } })
      .catch(function () { if (current()) { conclude("unchecked", "unavailable"); } });
  }

  var pendingNodes = live ? Array.prototype.slice.call(live.childNodes).map(function (n) { return n.cloneNode(true); }) : [];

  // The language switch posts and is redirected back: carry the QR statement across without
  // sending it (a redirect without a fragment keeps the fragment of the URL it came from).
  Array.prototype.forEach.call(document.querySelectorAll("form input[name=next]"), function (next) {
    next.form.addEventListener("submit", function () {
      next.form.setAttribute("action", next.form.getAttribute("action").split("#")[0] + window.location.hash);
    });
  });

  window.addEventListener("hashchange", check);
  check();
})();
