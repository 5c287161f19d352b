/* Ikrar kiosk: a language switch in the middle of signing keeps the signer's progress.
 * The switch reloads the page; just before it, the current signer (step, identity, dimensions,
 * consent, strokes) is put in sessionStorage — this tab only, never localStorage — and taken
 * back (and removed) by the reloaded page. Every end of a signer clears sessionStorage
 * (kiosk.js resetSigner), so a finished or abandoned signer leaves nothing there. */
(function () {
  "use strict";

  var KEY = "ikrar-kiosk-progress";
  // Steps worth keeping; "find" holds nobody yet, and the end screens hold a finished signer.
  var KEPT = ["identity", "read", "dimensions", "consent", "sign", "review"];

  window.IkrarProgress = function (k) {
    var form = k.form;
    function $(id) { return document.getElementById(id); }
    function boxes(name) { return Array.prototype.slice.call(form.querySelectorAll("input[name=" + name + "]")); }

    function save() {
      var s = k.signer();
      if (KEPT.indexOf(s.current) < 0 || k.busy()) return;
      var onScreen = {};
      ["name", "position", "institution", "category"].forEach(function (f) { onScreen[f] = $("f-" + f).value; });
      var state = {
        saved_at: Date.now(),
        signer: s,
        fields: onScreen,
        dimensions: boxes("dimension").filter(function (c) { return c.checked; }).map(function (c) { return c.value; }),
        consent: $("consent").checked,
        publicDisplay: (form.querySelector("input[name=public_display]:checked") || {}).value || null
      };
      try { sessionStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* storage disabled: the switch restarts */ }
    }

    // The saved progress, removed from storage at once; null when none (or too old: an
    // abandoned reload must not bring back someone's data long after the idle limit).
    function take() {
      var raw = null;
      try { raw = sessionStorage.getItem(KEY); sessionStorage.removeItem(KEY); } catch (e) { return null; }
      if (!raw) return null;
      try {
        var state = JSON.parse(raw);
        if (!state || !state.signer || KEPT.indexOf(state.signer.current) < 0) return null;
        if (Date.now() - state.saved_at > k.idleLimit(state.signer.current) * 1000) return null;
        return state;
      } catch (e) { return null; }
    }

    // Labels are the new language's: they are looked up again in the reloaded page.
    function dimensionLabel(id) {
      var box = boxes("dimension").filter(function (c) { return c.value === id; })[0];
      return box ? box.parentNode.querySelector("b").textContent : id;
    }

    function restore(state) {
      var s = state.signer;
      k.adopt(s);
      k.setIdentity(s.invitee);
      if (!s.invitee) ["name", "position", "institution", "category"].forEach(function (f) { $("f-" + f).value = state.fields[f] || ""; });
      if (s.identity) s.identity.categoryLabel = k.categoryLabel();
      s.dimensionLabels = s.dimensions.map(dimensionLabel);
      boxes("dimension").forEach(function (c) { c.checked = state.dimensions.indexOf(c.value) >= 0; });
      var strokes = s.strokes || [];
      k.show(s.current); // clears the pad and consent shown on arrival; both are put back below
      s.strokes = strokes;
      if (s.current === "sign") k.pad.resize();
      if (s.current === "review") k.show("review");
      if (s.current === "consent") {
        $("consent").checked = !!state.consent;
        boxes("public_display").forEach(function (r) { r.checked = r.value === state.publicDisplay; });
      }
    }

    $("lang-form").addEventListener("submit", save);
    return { take: take, restore: restore };
  };
})();
