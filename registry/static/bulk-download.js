// Bulk certificate download with progress: fetch the streamed ZIP, count its entries as they
// arrive (walking the ZIP local file headers: each entry is stored, with its sizes in its header),
// then hand the finished archive to the browser as a file. No inline script: the CSP forbids it.
(function () {
  "use strict";
  var LOCAL = 0x04034b50;

  // A tiny streaming walker over ZIP local headers: counts complete entries.
  function EntryCounter() {
    this.pending = new Uint8Array(0); // bytes of a header not yet complete
    this.skip = 0; // bytes of entry data still to pass over
    this.entries = 0;
    this.done = false; // reached the central directory
  }
  EntryCounter.prototype.feed = function (chunk) {
    var offset = 0;
    while (offset < chunk.length && !this.done) {
      if (this.skip > 0) {
        var n = Math.min(this.skip, chunk.length - offset);
        this.skip -= n;
        offset += n;
        if (this.skip === 0) this.entries += 1;
        continue;
      }
      var need = 30;
      var take = Math.min(chunk.length - offset, 4096);
      var joined = new Uint8Array(this.pending.length + take);
      joined.set(this.pending, 0);
      joined.set(chunk.subarray(offset, offset + take), this.pending.length);
      if (joined.length < need) { this.pending = joined; offset += take; continue; }
      var view = new DataView(joined.buffer);
      if (view.getUint32(0, true) !== LOCAL) { this.done = true; break; }
      var size = view.getUint32(18, true);
      var header = 30 + view.getUint16(26, true) + view.getUint16(28, true);
      if (joined.length < header) { this.pending = joined; offset += take; continue; }
      var consumed = header - this.pending.length; // bytes of this chunk the header used
      this.pending = new Uint8Array(0);
      offset += consumed;
      this.skip = size;
      if (size === 0) this.entries += 1;
    }
  };

  function kb(bytes) { return (bytes / 1024).toFixed(0) + " KB"; }

  function filename(response, url) {
    var header = response.headers.get("Content-Disposition") || "";
    var match = /filename="([^"]+)"/.exec(header);
    return match ? match[1] : url.split("/").pop().split("?")[0];
  }

  // The words come from the page (translated there): {n}, {total}, {size}, {error} are filled in.
  function say(status, kind, values) {
    var text = status.getAttribute("data-msg-" + kind) || "";
    status.textContent = text.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? String(values[key]) : all;
    });
  }

  function start(button) {
    var box = document.getElementById("bulk-progress");
    var bar = document.getElementById("bulk-bar");
    var status = document.getElementById("bulk-status");
    var buttons = document.querySelectorAll("button.bulk-download");
    var expected = parseInt(button.getAttribute("data-entries"), 10) || 0;
    var url = button.getAttribute("data-url");
    buttons.forEach(function (b) { b.disabled = true; });
    box.hidden = false;
    bar.max = Math.max(expected, 1);
    bar.value = 0;
    say(status, "preparing", {});
    var counter = new EntryCounter();
    var received = 0;
    var parts = [];
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
      var total = parseInt(response.headers.get("Ikrar-Entries"), 10);
      if (!isNaN(total)) { expected = total; bar.max = Math.max(total, 1); }
      var reader = response.body.getReader();
      var name = filename(response, url);
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) {
            bar.value = bar.max;
            say(status, "done", { n: counter.entries, total: expected, size: kb(received) });
            status.setAttribute("data-done", String(counter.entries));
            var blob = new Blob(parts, { type: "application/zip" });
            var link = document.createElement("a");
            link.href = URL.createObjectURL(blob);
            link.download = name;
            document.body.appendChild(link);
            link.click();
            setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 60000);
            return;
          }
          parts.push(step.value);
          received += step.value.length;
          counter.feed(step.value);
          bar.value = Math.min(counter.entries, bar.max);
          say(status, "progress", { n: counter.entries, total: expected, size: kb(received) });
          return pump();
        });
      }
      return pump();
    }).catch(function (error) {
      say(status, "failed", { error: error.message });
    }).finally(function () {
      buttons.forEach(function (b) { b.disabled = b.getAttribute("data-entries") === "0"; });
    });
  }

  document.querySelectorAll("button.bulk-download").forEach(function (button) {
    button.addEventListener("click", function () { start(button); });
  });
})();
