/* Ikrar kiosk: one signer after another on a shared tablet, with an offline queue.
 * No external resources; loaded as a static file so a strict CSP applies. */
(function () {
  "use strict";

  var root = document.getElementById("kiosk");
  if (!root) return;
  var cfg = root.dataset;
  var msg = document.getElementById("messages").dataset;
  var form = document.getElementById("flow");
  var ORDER = ["find", "identity", "read", "dimensions", "consent", "sign", "review"];
  var RESET_SECONDS = 45;
  // Screens that hold a signer's name, consent or signature reset sooner when abandoned.
  var PERSONAL = ["identity", "consent", "sign", "review"];
  var MAX_POINTS = 5800; // server limit 6000
  var MAX_STROKES = 190; // server limit 200
  var csrf = cfg.csrf;

  // Durations come from the template's data attributes (read each time, so tests can shorten them).
  function seconds(name, fallback) {
    var n = parseInt(cfg[name], 10);
    return n > 0 ? n : fallback;
  }

  // ---- the signer session: one object per signer, created at the start and replaced, never reused.
  // The signing request is built from this object alone (not from whatever the form still shows),
  // and every asynchronous answer checks that its session is still the current one.
  function newSignerSession() {
    return {
      key: uuid(), // the Idempotency-Key of this signer's signing request
      current: "find",
      invitee: null,
      identity: null, // {name, position, institution, category} once confirmed
      dimensions: [],
      dimensionLabels: [],
      consent: false,
      publicDisplay: null,
      strokes: [],
      twinDeclined: false // the walk-in said the listed invitee of the same name is someone else
    };
  }
  var signer = newSignerSession();

  function $(id) { return document.getElementById(id); }

  function show(name) {
    var previous = signer.current;
    var steps = document.querySelectorAll(".step");
    for (var i = 0; i < steps.length; i++) steps[i].hidden = steps[i].dataset.step !== name;
    signer.current = name;
    // One history entry for the whole flow: the back button never walks through a signer's steps.
    history.replaceState(null, "", location.pathname);
    window.scrollTo(0, 0);
    // Consent is given afresh and the pad starts empty each time they are shown, whichever way
    // the signer arrives: walking back never shows an earlier consent or signature.
    if (name === "consent") clearConsent();
    // Walking back to the dimensions asks for them again: the ticks left there may be another
    // signer's (whoever walked away), and the review is built only from what is confirmed anew.
    if (name === "dimensions" && ORDER.indexOf(previous) > ORDER.indexOf(name)) clearDimensions();
    if (name === "sign") { pad.clear(); pad.resize(); }
    if (previous === "review" && name !== "review") clearReview();
    if (name === "review") fillReview();
    $("cancel").hidden = !cancellable();
    touched();
  }

  function uuid() {
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function rfc3339(d) {
    function p(n, w) { return String(n).padStart(w || 2, "0"); }
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" +
      p(d.getMinutes()) + ":" + p(d.getSeconds()) + "." + p(d.getMilliseconds(), 3) + sign +
      p(Math.floor(off / 60)) + ":" + p(off % 60);
  }

  // ---------------------------------------------------------------- search
  var searchInput = $("search");
  var results = $("results");
  var searchSeq = 0;
  var searchTimer = null;

  function clearResults() {
    while (results.firstChild) results.removeChild(results.firstChild);
    $("no-results").hidden = true;
    $("more-results").hidden = true;
  }

  function showResults(found) {
    clearResults();
    found.invitees.forEach(function (inv) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "result";
      var n = document.createElement("b"); n.textContent = inv.name; b.appendChild(n);
      var s = document.createElement("small"); s.textContent = inv.position + " · " + inv.institution; b.appendChild(s);
      if (inv.signed) {
        b.disabled = true;
        var d = document.createElement("em"); d.textContent = msg.signed; b.appendChild(d);
      }
      b.addEventListener("click", function () { chooseInvitee(inv); });
      li.appendChild(b);
      results.appendChild(li);
    });
    $("no-results").hidden = found.invitees.length > 0;
    $("more-results").hidden = !found.more;
  }

  // The roster is kept on the tablet (search.js): search runs here, online and offline alike, and
  // the roster is refreshed in the background (who signed meanwhile on other tablets).
  var rosterAt = 0;
  function refreshRoster() {
    rosterAt = Date.now();
    return IkrarSearch.load(cfg.rosterUrl, cfg.slug);
  }
  refreshRoster();

  function runSearch() {
    var q = searchInput.value.trim();
    var seq = ++searchSeq;
    var mine = signer;
    if (q.length < 2) { clearResults(); return; }
    if (Date.now() - rosterAt > 20000) refreshRoster();
    if (IkrarSearch.ready()) { showResults(IkrarSearch.find(q)); return; }
    fetch(cfg.inviteesUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { invitees: [], more: false }; })
      .then(function (data) {
        if (seq !== searchSeq || signer !== mine || signer.current !== "find") return; // a newer query or another signer
        showResults(data);
      })
      .catch(function () { if (seq === searchSeq) { clearResults(); $("no-results").hidden = false; } });
  }

  searchInput.addEventListener("input", function () {
    $("cancel").hidden = !cancellable();
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 200);
  });
  searchInput.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });

  var fields = ["name", "position", "institution", "category"];

  function setIdentity(inv) {
    fields.forEach(function (f) {
      var el = $("f-" + f);
      el.value = inv ? inv[f] : "";
      el.removeAttribute("aria-invalid");
      if (el.tagName === "SELECT") el.disabled = !!inv; else el.readOnly = !!inv;
    });
    $("identity-invitee-note").hidden = !inv;
    $("identity-walkin-note").hidden = !!inv;
  }

  // Choosing a name (or "not on the list") starts a new signer: nothing of an earlier one is kept.
  // The language is kept: a signer may have switched it on the search screen before choosing.
  function chooseInvitee(inv) {
    resetSigner({ language: false });
    signer.invitee = inv;
    setIdentity(inv);
    show("identity");
  }

  $("walk-in").addEventListener("click", function () {
    resetSigner({ language: false });
    setIdentity(null);
    show("identity");
    $("f-name").focus();
  });

  // ---------------------------------------------------------------- steps
  function back() {
    var i = ORDER.indexOf(signer.current);
    // The identity is who signs: walking back to it (or to the start) begins again, through the
    // same confirmation as Batal, so nobody pages back into an earlier signer's name.
    if (i === 1 || i === 2) $("cancel").click();
    else if (i > 2) show(ORDER[i - 1]);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-back]"), function (b) { b.addEventListener("click", back); });

  $("identity-next").addEventListener("click", function () {
    var ok = fields.every(function (f) { return $("f-" + f).value.trim() !== ""; });
    // "Lengkapi semua kolom" points at the fields still empty (outlined, announced invalid).
    fields.forEach(function (f) {
      var box = $("f-" + f);
      if (box.value.trim() === "") box.setAttribute("aria-invalid", "true");
      else box.removeAttribute("aria-invalid");
    });
    $("identity-error").hidden = ok;
    if (!ok) return;
    // A walk-in typing exactly a listed invitee's name is most likely that invitee: offer the
    // listed entry before creating a second signer for the same person.
    var twin = signer.invitee ? null : IkrarSearch.listedTwin($("f-name").value);
    if (twin && !signer.twinDeclined) { askTwin(twin); return; }
    signer.identity = {
      name: $("f-name").value.trim(), position: $("f-position").value.trim(),
      institution: $("f-institution").value.trim(), category: $("f-category").value,
      categoryLabel: categoryLabel()
    };
    show("read");
  });

  var twinDialog = $("twin-dialog");
  function askTwin(inv) {
    $("twin-name").textContent = inv.name;
    $("twin-detail").textContent = inv.position + " · " + inv.institution;
    $("twin-choose").disabled = inv.signed;
    $("twin-signed").hidden = !inv.signed;
    $("twin-choose").onclick = function () { twinDialog.close(); chooseInvitee(inv); };
    twinDialog.showModal();
  }
  $("twin-other").addEventListener("click", function () {
    twinDialog.close();
    signer.twinDeclined = true;
    $("identity-next").click();
  });
  $("read-next").addEventListener("click", function () { show("dimensions"); });

  function clearDimensions() {
    Array.prototype.forEach.call(form.querySelectorAll("input[name=dimension]"), function (c) { c.checked = false; });
    signer.dimensions = [];
    signer.dimensionLabels = [];
  }

  function chosenDimensions() {
    return Array.prototype.filter.call(form.querySelectorAll("input[name=dimension]"), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
  }
  $("dimensions-next").addEventListener("click", function () {
    var ok = chosenDimensions().length > 0;
    $("dimensions-error").hidden = ok;
    if (!ok) return;
    signer.dimensions = chosenDimensions();
    signer.dimensionLabels = Array.prototype.filter.call(form.querySelectorAll("input[name=dimension]"), function (c) { return c.checked; })
      .map(function (c) { return c.parentNode.querySelector("b").textContent; });
    show("consent");
  });

  function publicChoice() {
    var c = form.querySelector("input[name=public_display]:checked");
    return c ? c.value === "yes" : null;
  }
  $("consent-next").addEventListener("click", function () {
    var ok = $("consent").checked && publicChoice() !== null;
    $("consent-error").hidden = ok;
    if (!ok) return;
    signer.consent = true;
    signer.publicDisplay = publicChoice();
    show("sign");
  });

  function clearConsent() {
    $("consent").checked = false;
    Array.prototype.forEach.call(form.querySelectorAll("input[name=public_display]"), function (r) { r.checked = false; });
    $("consent-error").hidden = true;
    signer.consent = false;
    signer.publicDisplay = null;
  }

  // ---------------------------------------------------------------- signature pad (pad.js)
  var pad = window.IkrarPad({
    canvas: $("pad"),
    session: function () { return signer; },
    maxPoints: MAX_POINTS,
    maxStrokes: MAX_STROKES,
    onStroke: function () { $("sign-error").hidden = true; }
  });

  $("clear").addEventListener("click", pad.clear);
  $("undo").addEventListener("click", pad.undo);
  $("sign-next").addEventListener("click", function () {
    var ok = pad.acceptable();
    $("sign-error").hidden = ok;
    if (ok) show("review");
  });

  function categoryLabel() {
    var sel = $("f-category");
    return sel.selectedIndex > 0 ? sel.options[sel.selectedIndex].textContent : "";
  }

  var REVIEW_FIELDS = ["r-name", "r-position", "r-institution", "r-category", "r-dimensions", "r-public"];

  // The review shows the signer session, i.e. exactly what will be sent.
  function fillReview() {
    var who = signer.identity || {};
    $("r-name").textContent = who.name || "";
    $("r-position").textContent = who.position || "";
    $("r-institution").textContent = who.institution || "";
    $("r-category").textContent = who.categoryLabel || "";
    $("r-dimensions").textContent = (signer.dimensionLabels || []).join(", ");
    $("r-public").textContent = signer.publicDisplay ? msg.yes : msg.no;
    $("review-error").hidden = true;
    pad.preview($("preview"));
  }

  function clearReview() {
    REVIEW_FIELDS.concat(["review-error"]).forEach(function (id) { $(id).textContent = ""; });
    $("review-error").hidden = true;
    var prev = $("preview");
    prev.getContext("2d").clearRect(0, 0, prev.width, prev.height);
    prev.width = 0;
  }

  // ---------------------------------------------------------------- signing
  // Built from the signer session only: what an earlier signer left in the page cannot get in.
  function body(s) {
    var doc = {
      dimensions: s.dimensions.slice(),
      consent: { accepted: s.consent === true, public_display: s.publicDisplay === true },
      strokes: s.strokes,
      claimed_time: rfc3339(new Date())
    };
    if (s.invitee) doc.invitee_id = s.invitee.id;
    else doc.signatory = {
      name: s.identity.name, position: s.identity.position,
      institution: s.identity.institution, category: s.identity.category
    };
    // "Bukan saya": the server must not link this walk-in to the listed namesake either.
    if (!s.invitee && s.twinDeclined) doc.link_invitee = false;
    return doc;
  }

  function complete(s) {
    return s.identity !== null && s.dimensions.length > 0 && s.consent && s.publicDisplay !== null && pad.acceptable();
  }

  function post(item) {
    return fetch(cfg.signUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Language": cfg.lang,
        "X-CSRFToken": csrf,
        "Idempotency-Key": item.key
      },
      body: item.body
    });
  }

  function refreshState() {
    return fetch(cfg.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { notice(msg.unenrolled); throw new Error("unenrolled"); }
        if (!r.ok) throw new Error("state " + r.status);
        return r.json();
      })
      .then(function (s) { csrf = s.csrf_token; return s; });
  }

  // A refused CSRF token (the page may be an offline copy) is renewed once and the request repeated.
  function send(item) {
    return post(item).then(function (r) {
      if (r.status !== 400) return r;
      return r.clone().json().catch(function () { return {}; }).then(function (p) {
        if (!/csrf/.test(p.type || "")) return r;
        return refreshState().then(function () { return post(item); });
      });
    });
  }

  function notOpen(status, p) { return status === 409 && /:not-open$/.test((p && p.type) || ""); }

  function retryable(status) { return status === 408 || status === 429 || status === 401 || status >= 500; }

  var submitBtn = $("submit");
  submitBtn.addEventListener("click", function () {
    if (submitBtn.disabled || signer.current !== "review" || !complete(signer)) return;
    var mine = signer;
    submitBtn.disabled = true;
    submitBtn.textContent = msg.sending;
    // The queued item is this signer's own complete request; its key is this signer session's.
    var item = { key: mine.key, body: JSON.stringify(body(mine)), name: mine.identity.name, queued_at: Date.now() };
    // An answer that arrives after the kiosk was reset must not show anything to the next signer.
    function current() { return signer === mine; }
    send(item).then(function (r) {
      if (r.ok) return r.json().then(function (doc) { signedHere(mine); if (current()) succeeded(doc); });
      if (retryable(r.status)) return queue.put(item).then(function () { signedHere(mine); if (current()) queued(); else refreshCount(); });
      return r.json().catch(function () { return {}; }).then(function (p) {
        if (!current()) return;
        // Signing closed while this signer was filling in: final (retrying cannot help and a
        // queued copy would be refused later), so nothing is queued; the signer is told plainly
        // and the kiosk returns to the start.
        if (notOpen(r.status, p)) { signingOpen = false; finish("ended"); return; }
        var err = $("review-error");
        err.textContent = p.detail || (r.status + " " + r.statusText);
        err.hidden = false;
      });
    }, function () {
      // fetch rejects only when the request could not be made or answered: the network.
      return queue.put(item).then(function () { signedHere(mine); if (current()) queued(); else refreshCount(); });
    }).catch(function () { /* shown above or queued */ }).then(function () {
      submitBtn.disabled = false;
      submitBtn.textContent = msg.sign;
    });
  });

  var resetTimer = null;
  var countdown = 0;

  function finish(step) {
    show(step);
    countdown = seconds("resetSeconds", RESET_SECONDS);
    tick();
    clearInterval(resetTimer);
    resetTimer = setInterval(function () { countdown -= 1; tick(); if (countdown <= 0) resetSigner({ language: true }); }, 1000);
  }
  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), function (el) { el.textContent = String(countdown); });
  }

  // The kept roster shows a listed signer as signed at once (also when queued offline).
  function signedHere(s) { if (s.invitee) IkrarSearch.markSigned(s.invitee.id); }

  function succeeded(doc) {
    $("qr").src = cfg.qrUrl + encodeURIComponent(doc.id) + ".svg";
    $("done-code").textContent = doc.code;
    finish("done");
  }
  function queued() {
    refreshCount();
    finish("queued");
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-next-signer]"), function (b) {
    b.addEventListener("click", function () { resetSigner({ language: true }); });
  });

  // ---------------------------------------------------------------- reset: no trace of the previous signer
  // The one way a signer ends: success, queue, "Batal", back to the start, idle, or choosing a name.
  // It discards the signer session and clears every place that showed or kept its data.
  function resetSigner(opts) {
    clearInterval(resetTimer);
    resetTimer = null;
    clearTimeout(searchTimer);
    searchSeq++;
    closeDialogs();
    form.reset();
    searchInput.value = "";
    setIdentity(null);
    clearResults();
    signer = newSignerSession();
    pad.clear();
    clearConsent();
    clearReview();
    $("qr").removeAttribute("src");
    $("done-code").textContent = "";
    Array.prototype.forEach.call(document.querySelectorAll(".error"), function (e) { e.hidden = true; });
    try { localStorage.clear(); sessionStorage.clear(); } catch (e) { /* storage disabled */ }
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    show(signingOpen ? "find" : "closed");
    if (opts && opts.language && cfg.lang !== "id") backToIndonesian();
  }

  // ---------------------------------------------------------------- closed / reopened
  // The state poll notices an admin closing signing: an idle kiosk (nobody's data on screen)
  // shows the "closed" screen, and the start again when signing reopens. A signer mid-flow is
  // not interrupted; the refusal of their submission tells them (step "ended").
  var signingOpen = cfg.open !== "false";
  function pollState() {
    return refreshState().then(function (s) {
      signingOpen = !!s.open;
      var note = $("closed"); // the banner rendered when the page was served closed
      if (note) note.hidden = signingOpen;
      if (!signingOpen && signer.current === "find" && !entered()) show("closed");
      else if (signingOpen && signer.current === "closed") resetSigner({ language: false });
    }).catch(function () { /* offline: keep what is shown */ });
  }
  function schedulePoll() {
    setTimeout(function () { pollState().then(schedulePoll); }, seconds("stateSeconds", 15) * 1000);
  }
  schedulePoll();

  // The next signer starts in Indonesian. The switch is the header's own form, sent in the
  // background (offline it fails and the page simply stays as it is), then a fresh page.
  function backToIndonesian() {
    var langForm = $("lang-form");
    var data = new FormData(langForm);
    data.set("lang", "id");
    fetch(langForm.action, { method: "POST", body: data, credentials: "same-origin", redirect: "manual" })
      .then(function (r) { if (r.ok || r.type === "opaqueredirect") location.replace(location.pathname); })
      .catch(function () {});
  }

  // ---------------------------------------------------------------- "Batal / mulai ulang"
  function entered() {
    if (signer.invitee || signer.identity || signer.strokes.length || searchInput.value.trim()) return true;
    return Array.prototype.some.call(form.querySelectorAll("input, select"), function (e) {
      if (e === searchInput || e.type === "hidden") return false;
      return (e.type === "checkbox" || e.type === "radio") ? e.checked : e.value !== "";
    });
  }
  function cancellable() {
    var i = ORDER.indexOf(signer.current);
    return i > 0 || (i === 0 && searchInput.value !== "");
  }
  var cancelDialog = $("cancel-dialog");
  $("cancel").addEventListener("click", function () {
    if (!entered()) { resetSigner({ language: true }); return; }
    cancelDialog.showModal();
    $("cancel-keep").focus();
  });
  $("cancel-confirm").addEventListener("click", function () { resetSigner({ language: true }); });
  $("cancel-keep").addEventListener("click", function () { cancelDialog.close(); });

  function closeDialogs() {
    if (cancelDialog.open) cancelDialog.close();
    if (twinDialog.open) twinDialog.close();
    hideIdleWarning();
  }

  // ---------------------------------------------------------------- idle: abandoned half-way
  // Back to the start after a while without a touch: sooner where a name, consent or signature is
  // on screen; a warning counts down the last seconds and any touch dismisses it.
  var idleTimer = null;
  var warnTimer = null;
  var warnTick = null;
  var idleWarning = $("idle-warning");

  function idleLimit() {
    var step = signer.current;
    if (step === "done" || step === "queued" || step === "ended") return 0; // their own countdown
    if (step === "closed") return 0; // nothing to clear; the state poll leaves it when reopened
    if (step === "find" && !entered()) return 0; // nothing of anyone on screen
    return PERSONAL.indexOf(step) >= 0 ? seconds("idlePersonalSeconds", 60) : seconds("idleSeconds", 180);
  }
  function hideIdleWarning() {
    clearInterval(warnTick);
    warnTick = null;
    if (idleWarning.open) idleWarning.close();
  }
  function showIdleWarning(left) {
    var shown = idleWarning.querySelector("[data-idle-countdown]");
    shown.textContent = String(left);
    if (cancelDialog.open) cancelDialog.close();
    if (!idleWarning.open) idleWarning.showModal();
    warnTick = setInterval(function () { left = Math.max(left - 1, 0); shown.textContent = String(left); }, 1000);
  }
  function touched() {
    clearTimeout(idleTimer);
    clearTimeout(warnTimer);
    hideIdleWarning();
    var limit = idleLimit();
    if (!limit) return;
    var warn = Math.min(seconds("idleWarningSeconds", 15), limit);
    warnTimer = setTimeout(function () { showIdleWarning(warn); }, (limit - warn) * 1000);
    idleTimer = setTimeout(function () { resetSigner({ language: true }); }, limit * 1000);
  }
  ["pointerdown", "keydown", "input"].forEach(function (t) { document.addEventListener(t, touched, true); });
  // The touch that dismisses the warning does only that (it lands on the modal, not on the step).
  idleWarning.addEventListener("click", function (e) { e.preventDefault(); });
  idleWarning.addEventListener("cancel", function () { touched(); });

  // ---------------------------------------------------------------- offline queue (IndexedDB)
  var queue = (function () {
    var dbp = null;
    function open() {
      if (!dbp) dbp = new Promise(function (resolve, reject) {
        var req = indexedDB.open("ikrar-kiosk", 1);
        req.onupgradeneeded = function () { req.result.createObjectStore("queue", { keyPath: "key" }); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
      return dbp;
    }
    function tx(mode, fn) {
      return open().then(function (db) {
        return new Promise(function (resolve, reject) {
          var t = db.transaction("queue", mode);
          var out = fn(t.objectStore("queue"));
          t.oncomplete = function () { resolve(out && out.result); };
          t.onerror = function () { reject(t.error); };
          t.onabort = function () { reject(t.error); };
        });
      });
    }
    return {
      put: function (item) { return tx("readwrite", function (s) { return s.put(item); }); },
      remove: function (key) { return tx("readwrite", function (s) { return s.delete(key); }); },
      all: function () { return tx("readonly", function (s) { return s.getAll(); }); },
      count: function () { return tx("readonly", function (s) { return s.count(); }); }
    };
  })();

  function refreshCount() {
    return queue.count().then(function (n) {
      $("pending-count").textContent = String(n);
      IkrarSync.pending(n);
      $("pending").hidden = n === 0;
      root.dataset.pending = String(n);
    });
  }

  function notice(text) {
    var el = $("rejected");
    el.textContent = text;
    el.hidden = false;
  }

  var flushing = false;
  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    return queue.all().then(function (items) {
      if (!items.length) return;
      items.sort(function (a, b) { return a.queued_at - b.queued_at; });
      return refreshState().then(function () {
        return items.reduce(function (chain, item) {
          return chain.then(function () {
            return send(item).then(function (r) {
              // Linked to the list, namesakes, refusals: counted for the operator by sync.js.
              if (r.ok) return r.json().catch(function () { return null; }).then(IkrarSync.sent).then(function () { return queue.remove(item.key); });
              if (retryable(r.status)) throw new Error("retry later");
              // Refused for good (e.g. already signed): retrying cannot help; the operator must see it.
              return IkrarSync.refused(r).then(function () { return queue.remove(item.key); });
            });
          });
        }, Promise.resolve());
      });
    }).catch(function () { /* offline or server busy: the next attempt follows */ })
      .then(function () { flushing = false; return refreshCount(); });
  }

  function online() { $("offline").hidden = navigator.onLine; }
  window.addEventListener("online", function () { online(); flush(); });
  window.addEventListener("offline", online);
  setInterval(flush, 15000);
  online();
  refreshCount().then(flush);

  // ---------------------------------------------------------------- service worker (kiosk shell offline)
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.swUrl.replace(/\/sw\.js$/, "") }).catch(function () {});
  }

  window.ikrarKiosk = {
    flush: flush,
    reset: function () { resetSigner({ language: true }); },
    pending: refreshCount,
    poll: pollState,
    strokeCount: function () { return signer.strokes.length; }
  };
  // A language switch mid-flow reloads the page but keeps this signer (progress.js, this tab only).
  var progress = window.IkrarProgress({
    form: form, pad: pad, show: show, setIdentity: setIdentity, categoryLabel: categoryLabel,
    signer: function () { return signer; },
    adopt: function (s) { signer = s; },
    busy: function () { return submitBtn.disabled; },
    idleLimit: function (step) { return PERSONAL.indexOf(step) >= 0 ? seconds("idlePersonalSeconds", 60) : seconds("idleSeconds", 180); }
  });
  var kept = progress.take();
  resetSigner({ language: false }); // a fresh page: keep the language just chosen
  if (kept) progress.restore(kept);

})();
