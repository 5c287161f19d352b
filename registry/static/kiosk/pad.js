/* Ikrar kiosk signature pad: pointer input (mouse, pen with pressure, finger) into strokes of
 * {x, y, t, p} points, drawn on a canvas, with the same triviality rule as the server.
 * The strokes live in the current signer session (options.session()), never in the pad. */
(function () {
  "use strict";

  window.IkrarPad = function (options) {
    var session = options.session;
    var canvas = options.canvas;
    var ctx = canvas.getContext("2d");
    var active = null; // the stroke being drawn
    var activePointer = null;

    function resize() {
      var rect = canvas.getBoundingClientRect();
      if (!rect.width) return;
      var ratio = window.devicePixelRatio || 1;
      canvas.width = Math.round(rect.width * ratio);
      canvas.height = Math.round(rect.height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      redraw();
    }

    function width(p) { return 1.2 + 3.2 * p; }

    function drawSegment(c, a, b, scale) {
      c.lineWidth = width(b.p) * (scale || 1);
      c.beginPath();
      c.moveTo(a.x, a.y);
      c.lineTo(b.x, b.y);
      c.stroke();
    }

    function paint(c, strokes, scale, dx, dy) {
      c.lineCap = "round";
      c.lineJoin = "round";
      c.strokeStyle = "#10243e";
      strokes.forEach(function (s) {
        var pts = s.map(function (p) { return { x: p.x * scale + dx, y: p.y * scale + dy, p: p.p }; });
        if (pts.length === 1) drawSegment(c, pts[0], { x: pts[0].x + 0.1, y: pts[0].y, p: pts[0].p }, scale);
        for (var i = 1; i < pts.length; i++) drawSegment(c, pts[i - 1], pts[i], scale);
      });
    }

    function redraw() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      paint(ctx, session().strokes, 1, 0, 0);
    }

    function total() { return session().strokes.reduce(function (n, s) { return n + s.length; }, 0); }

    function point(e) {
      var rect = canvas.getBoundingClientRect();
      var x = Math.min(Math.max(e.clientX - rect.left, 0), rect.width);
      var y = Math.min(Math.max(e.clientY - rect.top, 0), rect.height);
      var p = e.pointerType === "pen" && e.pressure > 0 ? e.pressure : 0.5;
      return {
        x: Math.round(x * 10) / 10,
        y: Math.round(y * 10) / 10,
        t: Math.round(performance.timeOrigin + e.timeStamp),
        p: Math.round(Math.min(p, 1) * 1000) / 1000
      };
    }

    function add(e) {
      if (total() >= options.maxPoints) return;
      var pt = point(e);
      var last = active[active.length - 1];
      if (last) {
        if (Math.abs(pt.x - last.x) < 0.5 && Math.abs(pt.y - last.y) < 0.5) return;
        if (pt.t < last.t) pt.t = last.t;
        drawSegment(ctx, last, pt);
      }
      active.push(pt);
    }

    canvas.addEventListener("pointerdown", function (e) {
      if (activePointer !== null || session().strokes.length >= options.maxStrokes) return;
      e.preventDefault();
      activePointer = e.pointerId;
      canvas.setPointerCapture(e.pointerId);
      active = [];
      var prev = session().strokes.length ? session().strokes[session().strokes.length - 1] : null;
      session().strokes.push(active);
      add(e);
      if (prev && active.length && active[0].t < prev[prev.length - 1].t) active[0].t = prev[prev.length - 1].t;
      options.onStroke();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (e.pointerId !== activePointer) return;
      e.preventDefault();
      var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      if (!events.length) events = [e];
      events.forEach(add);
    });
    function end(e) {
      if (e.pointerId !== activePointer) return;
      activePointer = null;
      if (active && active.length === 0) session().strokes.pop();
      active = null;
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("contextmenu", function (e) { e.preventDefault(); });

    function clear() { session().strokes = []; active = null; activePointer = null; redraw(); }
    function undo() { session().strokes.pop(); redraw(); }

    // The server refuses trivial marks (registry/core/strokes.py); the same rule here saves a round trip.
    function acceptable() {
      var pts = [].concat.apply([], session().strokes);
      if (pts.length < 8) return false;
      var xs = pts.map(function (p) { return p.x; }), ys = pts.map(function (p) { return p.y; });
      var extent = Math.max(Math.max.apply(null, xs) - Math.min.apply(null, xs), Math.max.apply(null, ys) - Math.min.apply(null, ys));
      if (extent < 20) return false;
      var ink = 0;
      session().strokes.forEach(function (s) {
        for (var i = 1; i < s.length; i++) ink += Math.hypot(s[i].x - s[i - 1].x, s[i].y - s[i - 1].y);
      });
      return ink >= 60;
    }

    function preview(target) {
      var rect = target.getBoundingClientRect();
      var ratio = window.devicePixelRatio || 1;
      target.width = Math.round(rect.width * ratio);
      target.height = Math.round(rect.height * ratio);
      var c = target.getContext("2d");
      c.setTransform(ratio, 0, 0, ratio, 0, 0);
      c.clearRect(0, 0, rect.width, rect.height);
      var pts = [].concat.apply([], session().strokes);
      if (!pts.length) return;
      var minX = Math.min.apply(null, pts.map(function (p) { return p.x; }));
      var minY = Math.min.apply(null, pts.map(function (p) { return p.y; }));
      var w = Math.max.apply(null, pts.map(function (p) { return p.x; })) - minX || 1;
      var h = Math.max.apply(null, pts.map(function (p) { return p.y; })) - minY || 1;
      var scale = Math.min((rect.width - 20) / w, (rect.height - 20) / h, 1.5);
      paint(c, session().strokes, scale, 10 - minX * scale, 10 - minY * scale);
    }

    window.addEventListener("resize", function () { if (session().current === "sign") resize(); });
    return { resize: resize, clear: clear, undo: undo, acceptable: acceptable, preview: preview, redraw: redraw };
  };
})();
