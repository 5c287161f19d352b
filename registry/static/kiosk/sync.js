/* Ikrar kiosk: what became of the signings queued offline, told to the operator.
 *
 * kiosk.js sends the queue when the network returns and hands each answer here. The server may
 * recognise a queued walk-in as a listed invitee (linked_invitee), find listed namesakes it would
 * not guess between (listed_namesakes), or refuse the signing for good (e.g. "already-signed").
 * Each outcome is counted in a notice that stays on screen for the operator, so nothing is dropped
 * or doubled silently. The notices stay for the next signers too: they count, they name nobody. */
"use strict";
window.IkrarSync = (function () {
  var counts = { linked: 0, namesakes: 0, refused: 0, signed: 0 };
  var statuses = {};

  function $(id) { return document.getElementById(id); }
  function msg() { return $("messages").dataset; }

  function say(id, parts) {
    var el = $(id);
    var text = parts.filter(Boolean).join("; ");
    el.textContent = text;
    el.hidden = text === "";
  }

  function render() {
    var m = msg();
    say("rejected", [
      counts.refused ? m.rejected + " " + counts.refused + " (HTTP " + Object.keys(statuses).join(", ") + ")" : "",
      counts.signed ? m.rejectedSigned + " " + counts.signed : ""
    ]);
    say("synced", [
      counts.linked ? m.linked + " " + counts.linked : "",
      counts.namesakes ? m.namesakes + " " + counts.namesakes : ""
    ]);
  }

  return {
    // A queued signing the server accepted (its answer document).
    sent: function (doc) {
      if (doc && doc.linked_invitee) counts.linked += 1;
      else if (doc && doc.listed_namesakes && doc.listed_namesakes.length) counts.namesakes += 1;
      render();
    },
    // A queued signing the server refused for good; resolves once it is counted.
    refused: function (response) {
      return response.json().catch(function () { return {}; }).then(function (problem) {
        counts.refused += 1;
        statuses[response.status] = true;
        if (/already-signed$/.test(problem.type || "")) counts.signed += 1;
        render();
      });
    },
    // The number of signings still waiting on this tablet, also shown on the "queued" screen.
    pending: function (n) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-pending-count]"), function (el) {
        el.textContent = String(n);
      });
    }
  };
})();
