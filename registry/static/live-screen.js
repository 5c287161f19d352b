/* The live screen (templates/live_screen.html): keeps the count, the bars and the newest
   consenting signatures current, and draws each new signature stroke by stroke.

   Push: Server-Sent Events from data-events-url. Each event's id is the server's cursor (the
   size of the registry's log); a stream ends after about 30 s by design and the browser
   reconnects by itself, sending Last-Event-ID, so nothing is missed. When EventSource is missing
   or fails repeatedly, the page polls data-poll-url?after=<cursor> instead.

   For hours on a projector: the page keeps at most data-newest cards, each animation stops when
   done (or when its card leaves), and nothing else accumulates. */
(function () {
  "use strict";

  var root = document.getElementById("live");
  if (!root) {
    return;
  }
  var SVG = "http://www.w3.org/2000/svg";
  var DRAW_MS = 2500; // a new signature is drawn in its own rhythm, at most this long
  var POLL_MS = 1000;
  var MAX_POLL_MS = 15000;
  var FAILURES_BEFORE_POLLING = 3;
  var newest = parseInt(root.dataset.newest, 10) || 9;
  var cursor = root.dataset.cursor || "";
  var list = document.getElementById("signatures");
  var empty = document.getElementById("empty");
  var status = document.getElementById("status");
  var source = null;
  var failures = 0;
  var polling = false;

  function setStatus(state) {
    var text = {
      live: root.dataset.statusLive,
      reconnecting: root.dataset.statusReconnecting,
      polling: root.dataset.statusPolling,
      offline: root.dataset.statusOffline
    }[state];
    status.dataset.state = state;
    if (text) {
      status.textContent = text;
    }
  }

  function pathData(points, count) {
    var d = "";
    for (var i = 0; i < count; i++) {
      d += (i === 0 ? "M" : "L") + points[i][0] / 10 + " " + points[i][1] / 10 + " ";
    }
    if (count === 1) {
      d += "l0.1 0";
    }
    return d;
  }

  function viewBox(strokes) {
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    strokes.forEach(function (stroke) {
      stroke.forEach(function (p) {
        minX = Math.min(minX, p[0] / 10);
        maxX = Math.max(maxX, p[0] / 10);
        minY = Math.min(minY, p[1] / 10);
        maxY = Math.max(maxY, p[1] / 10);
      });
    });
    var pad = 6;
    return [minX - pad, minY - pad, maxX - minX + 2 * pad, maxY - minY + 2 * pad].join(" ");
  }

  // Draws the strokes into `svg` in the signer's own timing (t: ms since the first point),
  // sped up to at most DRAW_MS; marks the card data-drawn="true" when complete.
  function draw(svg, strokes, card) {
    var paths = strokes.map(function () {
      var path = document.createElementNS(SVG, "path");
      svg.appendChild(path);
      return path;
    });
    var shown = strokes.map(function () { return 0; });
    var last = 0;
    strokes.forEach(function (stroke) {
      stroke.forEach(function (p) { last = Math.max(last, p[2]); });
    });
    var scale = last > DRAW_MS ? DRAW_MS / last : 1;
    var start = null;

    function frame(now) {
      if (!card.isConnected) {
        return; // replaced by newer signatures before it was finished
      }
      if (start === null) {
        start = now;
      }
      var elapsed = document.hidden ? Infinity : (now - start) / scale;
      var done = true;
      strokes.forEach(function (stroke, i) {
        var count = shown[i];
        while (count < stroke.length && stroke[count][2] <= elapsed) {
          count++;
        }
        if (count !== shown[i]) {
          shown[i] = count;
          paths[i].setAttribute("d", pathData(stroke, count));
        }
        if (count < stroke.length) {
          done = false;
        }
      });
      if (done) {
        card.dataset.drawn = "true";
      } else {
        window.requestAnimationFrame(frame);
      }
    }
    window.requestAnimationFrame(frame);
  }

  function text(tag, className, value) {
    var element = document.createElement(tag);
    element.className = className;
    element.textContent = value;
    return element;
  }

  function card(signature) {
    var item = document.createElement("li");
    item.className = "card fresh";
    item.dataset.logIndex = String(signature.log_index);
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "ink");
    svg.setAttribute("viewBox", viewBox(signature.strokes));
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", root.dataset.inkLabel + " " + signature.name);
    item.appendChild(svg);
    item.appendChild(text("p", "name", signature.name));
    item.appendChild(text("p", "position", signature.position));
    item.appendChild(text("p", "institution", signature.institution));
    window.setTimeout(function () { item.classList.remove("fresh"); }, 6000);
    return { item: item, start: function () { draw(svg, signature.strokes, item); } };
  }

  function showCards(signatures) {
    var wanted = {};
    signatures.forEach(function (s) { wanted[String(s.log_index)] = true; });
    Array.prototype.slice.call(list.children).forEach(function (item) {
      if (!wanted[item.dataset.logIndex]) {
        list.removeChild(item); // withdrawn, erased or pushed out by newer ones
      }
    });
    var present = {};
    Array.prototype.slice.call(list.children).forEach(function (item) {
      present[item.dataset.logIndex] = item;
    });
    signatures.forEach(function (signature, position) {
      var item = present[String(signature.log_index)];
      var fresh = null;
      if (!item) {
        fresh = card(signature);
        item = fresh.item;
      }
      if (list.children[position] !== item) {
        list.insertBefore(item, list.children[position] || null);
      }
      if (fresh) {
        fresh.start();
      }
    });
    while (list.children.length > newest) {
      list.removeChild(list.lastChild);
    }
    empty.hidden = list.children.length > 0;
  }

  function showBars(id, counts) {
    var table = document.getElementById(id);
    if (!table) {
      return;
    }
    var top = 1;
    counts.forEach(function (c) { top = Math.max(top, c.count); });
    Array.prototype.slice.call(table.querySelectorAll("tr[data-id]")).forEach(function (row) {
      var found = counts.filter(function (c) { return c.id === row.dataset.id; })[0];
      var count = found ? found.count : 0;
      row.querySelector("rect.fill").setAttribute("width", (100 * count / top).toFixed(2));
      row.querySelector("td.bar svg").setAttribute("aria-label", String(count));
      row.querySelector("td.count").textContent = String(count);
    });
  }

  function apply(state) {
    cursor = String(state.cursor);
    root.dataset.cursor = cursor;
    if (!state.changed) {
      return;
    }
    if (String(state.commitment.version) !== root.dataset.version) {
      // A new version was published: its dimensions and categories may differ; start afresh.
      window.location.reload();
      return;
    }
    document.getElementById("count").textContent = String(state.total);
    showBars("dimension-counts", state.by_dimension);
    showBars("category-counts", state.by_category);
    showCards(state.signatures.slice(0, newest));
  }

  function poll() {
    if (polling) {
      return;
    }
    polling = true;
    var delay = POLL_MS;
    function tick() {
      window.fetch(root.dataset.pollUrl + "?after=" + encodeURIComponent(cursor), {
        cache: "no-store",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      }).then(function (state) {
        apply(state);
        delay = POLL_MS;
        setStatus("polling");
      }).catch(function () {
        delay = Math.min(delay * 2, MAX_POLL_MS);
        setStatus("offline");
      }).then(function () {
        window.setTimeout(tick, delay);
      });
    }
    setStatus("polling");
    tick();
  }

  function connect() {
    if (typeof window.EventSource !== "function") {
      poll();
      return;
    }
    source = new window.EventSource(root.dataset.eventsUrl + "?after=" + encodeURIComponent(cursor));
    source.addEventListener("open", function () {
      failures = 0;
      setStatus("live");
    });
    source.addEventListener("screen", function (event) {
      apply(JSON.parse(event.data));
    });
    source.addEventListener("error", function () {
      // Every planned end of a stream passes here once; the browser then reconnects by itself.
      failures += 1;
      if (source.readyState === window.EventSource.CLOSED || failures >= FAILURES_BEFORE_POLLING) {
        source.close();
        source = null;
        poll();
      } else if (failures > 1) {
        setStatus("reconnecting");
      }
    });
  }

  connect();
})();
