/* The verify page's offline check: the QR statement in location.hash (docs/FORMATS.md, "QR statement")
   is verified with WebCrypto Ed25519 against the registry's JWKS and compared with what the page shows. */
(function () {
  "use strict";
  var box = document.getElementById("offline-check");
  var out = document.getElementById("check-result");
  if (!box || !out) { return; }
  var ELLIPSIS = "\u2026";

  function say(kind) {
    out.textContent = box.getAttribute("data-msg-" + kind);
    box.className = "check check-" + kind;
    box.setAttribute("data-result", kind);
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

  function textMatches(stated, full) {
    if (stated === full) { return true; }
    var cps = Array.from(stated);
    return cps.length > 1 && cps[cps.length - 1] === ELLIPSIS &&
      full.indexOf(cps.slice(0, -1).join("")) === 0 && Array.from(full).length >= cps.length;
  }

  function matchesPage(st) {
    var d = function (name) { return box.getAttribute("data-" + name); };
    if (d("name") === null) { return false; }
    return st.v === 1 && st.code === d("code") && st.c === d("commitment") && String(st.cv) === d("cv") &&
      textMatches(st.n, d("name")) && textMatches(st.i, d("institution")) && st.t === d("signed-at") &&
      typeof st.k === "string" && st.k.length === 8 && d("kid").indexOf(st.k) === 0 &&
      String(st.l) === d("log-index");
  }

  var fragment = window.location.hash.slice(1);
  if (!fragment) { say("none"); return; }
  if (!(window.crypto && window.crypto.subtle)) { say("unsupported"); return; }
  say("pending");
  var parts = fragment.split(".");
  var statementBytes, signature, st;
  try {
    if (parts.length !== 2) { throw new Error("shape"); }
    statementBytes = b64url(parts[0]);
    signature = b64url(parts[1]);
    st = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(statementBytes));
    if (!st || typeof st !== "object" || signature.length !== 64) { throw new Error("shape"); }
  } catch (e) { say("invalid"); return; }

  fetch(box.getAttribute("data-jwks"), { credentials: "omit" })
    .then(function (r) { if (!r.ok) { throw new Error("jwks"); } return r.json(); })
    .then(function (jwks) {
      var keys = (jwks.keys || []).filter(function (k) {
        return k.purpose === "record" && typeof k.kid === "string" && k.kid.indexOf(st.k) === 0;
      });
      if (keys.length !== 1) { throw new Error("no key"); }
      var jwk = { kty: "OKP", crv: "Ed25519", x: keys[0].x };
      return crypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["verify"]).then(function (key) {
        return crypto.subtle.verify("Ed25519", key, signature, statementBytes);
      }, function () { say("unsupported"); return null; });
    })
    .then(function (ok) {
      if (ok === null) { return; }
      if (!ok) { say("invalid"); return; }
      say(matchesPage(st) ? "valid" : "mismatch");
    })
    .catch(function () { say("invalid"); });
})();
