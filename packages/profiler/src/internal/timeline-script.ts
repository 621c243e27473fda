// The browser half of the HTML timeline, kept as a string so the page needs no build step and no
// network: it reads the embedded data, draws the lanes on one canvas (one fillRect per visible op,
// so 1e5 ops stay interactive), and handles zoom (wheel), pan (drag) and hover.
export const TIMELINE_SCRIPT = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("npurt-data").textContent);
  var canvas = document.getElementById("timeline");
  var tip = document.getElementById("tip");
  var ctx = canvas.getContext("2d");
  var LABEL_W = 190, AXIS_H = 26, LANE_H = 24, MEM_H = 90, PAD = 8;
  var lanes = data.lanes, ops = data.ops, names = data.names;
  var n = ops.length / 6;
  var t0 = data.start, t1 = data.end > data.start ? data.end : data.start + 1;
  var view = { a: t0, b: t1 };
  var width = 0, height = 0;
  // Kernel names take palette colours in legend order (most frequent first), so the first ten
  // never share a colour; anything else is coloured by a hash of its name.
  var kernelColour = {};
  var PALETTE = ["#4e79a7","#59a14f","#9c755f","#b07aa1","#76b7b2","#edc948","#af7aa1","#86bc86","#5b8def","#c38d4f"];
  function colour(k, name) {
    if (k === 1) return "#f28e2b";
    if (k === 3) return "#7f7f7f";
    if (k === 4) return "#c7c7c7";
    if (k === 0 && kernelColour[name] !== undefined) return kernelColour[name];
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return PALETTE[h % PALETTE.length];
  }
  function fmt(ns) {
    var a = Math.abs(ns);
    if (a >= 1e9) return (ns / 1e9).toFixed(3) + " s";
    if (a >= 1e6) return (ns / 1e6).toFixed(3) + " ms";
    if (a >= 1e3) return (ns / 1e3).toFixed(2) + " µs";
    return Math.round(ns) + " ns";
  }
  // Legend: the most frequent kernel names, then the fixed colours of copies, records and waits.
  (function legend() {
    var counts = {}, order = [];
    for (var i = 0; i < n; i++) {
      if (ops[i * 6 + 5] !== 0) continue;
      var nm = names[ops[i * 6 + 3]];
      if (!(nm in counts)) { counts[nm] = 0; order.push(nm); }
      counts[nm]++;
    }
    order.sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); });
    order.forEach(function (nm, i) { kernelColour[nm] = PALETTE[i % PALETTE.length]; });
    var items = order.slice(0, 10).map(function (nm) { return [nm, colour(0, nm)]; });
    items.push(["copy", colour(1, "")], ["record", colour(3, "")], ["wait", colour(4, "")]);
    var box = document.getElementById("legend");
    items.forEach(function (it) {
      var s = document.createElement("span");
      var sw = document.createElement("i");
      sw.style.background = it[1];
      s.appendChild(sw);
      s.appendChild(document.createTextNode(it[0]));
      box.appendChild(s);
    });
    var f = document.createElement("span");
    f.className = "failed";
    f.appendChild(document.createElement("i"));
    f.appendChild(document.createTextNode("failed or aborted"));
    box.appendChild(f);
  })();
  function x(t) { return LABEL_W + ((t - view.a) / (view.b - view.a)) * (width - LABEL_W - PAD); }
  function tAt(px) { return view.a + ((px - LABEL_W) / (width - LABEL_W - PAD)) * (view.b - view.a); }
  function laneY(l) { return AXIS_H + l * LANE_H; }
  function resize() {
    var dpr = window.devicePixelRatio || 1;
    width = Math.max(480, document.documentElement.clientWidth - 2 * PAD);
    height = AXIS_H + lanes.length * LANE_H + MEM_H + 30;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw();
  }
  function draw() {
    ctx.clearRect(0, 0, width, height);
    ctx.font = "12px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    // lanes and labels
    for (var l = 0; l < lanes.length; l++) {
      ctx.fillStyle = l % 2 ? "#fafafa" : "#f0f2f5";
      ctx.fillRect(0, laneY(l), width, LANE_H);
      ctx.fillStyle = "#222";
      ctx.fillText(lanes[l], 6, laneY(l) + LANE_H / 2, LABEL_W - 10);
    }
    // axis
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, AXIS_H);
    ctx.strokeStyle = "#ccc";
    ctx.fillStyle = "#555";
    var span = view.b - view.a, step = Math.pow(10, Math.floor(Math.log10(span / 6)));
    if (span / step > 12) step *= 5; else if (span / step > 6) step *= 2;
    for (var t = Math.ceil(view.a / step) * step; t <= view.b; t += step) {
      var px = x(t);
      ctx.beginPath(); ctx.moveTo(px, AXIS_H - 6); ctx.lineTo(px, height - 30); ctx.stroke();
      ctx.fillText(fmt(t - t0), px + 3, AXIS_H / 2);
    }
    // ops
    ctx.save();
    ctx.beginPath(); ctx.rect(LABEL_W, AXIS_H, width - LABEL_W, lanes.length * LANE_H); ctx.clip();
    var drawn = 0;
    for (var i = 0; i < n; i++) {
      var o = i * 6, s = ops[o + 1], e = ops[o + 2];
      if (e < view.a || s > view.b) continue;
      var xa = x(s), xb = Math.max(xa + 1, x(e));
      var y = laneY(ops[o]) + 3;
      ctx.fillStyle = colour(ops[o + 5], names[ops[o + 3]]);
      ctx.fillRect(xa, y, xb - xa, LANE_H - 6);
      if (ops[o + 4] !== 1) { ctx.strokeStyle = "#d62728"; ctx.lineWidth = 2; ctx.strokeRect(xa, y, xb - xa, LANE_H - 6); ctx.lineWidth = 1; }
      if (xb - xa > 40) { ctx.fillStyle = "#fff"; ctx.fillText(names[ops[o + 3]], xa + 3, y + (LANE_H - 6) / 2, xb - xa - 6); }
      drawn++;
    }
    // dependency arrows: record → wait
    ctx.strokeStyle = "rgba(214,39,40,0.75)";
    ctx.fillStyle = "rgba(214,39,40,0.75)";
    var arrows = data.arrows, drawnArrows = 0;
    for (var k = 0; k < arrows.length; k += 2) {
      var p = arrows[k] * 6, q = arrows[k + 1] * 6;
      if (ops[q + 1] < view.a || ops[p + 2] > view.b) continue;
      var x1 = x(ops[p + 2]), y1 = laneY(ops[p]) + LANE_H / 2, x2 = x(ops[q + 1]), y2 = laneY(ops[q]) + LANE_H / 2;
      ctx.beginPath(); ctx.moveTo(x1, y1); ctx.bezierCurveTo((x1 + x2) / 2, y1, (x1 + x2) / 2, y2, x2, y2); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(x2, y2); ctx.lineTo(x2 - 6, y2 - 4); ctx.lineTo(x2 - 6, y2 + 4); ctx.fill();
      drawnArrows++;
    }
    ctx.restore();
    // memory curve
    var my = AXIS_H + lanes.length * LANE_H + 12, mem = data.memory, peak = data.memoryPeak || 1;
    ctx.fillStyle = "#222";
    ctx.fillText("device memory (peak " + fmtBytes(peak) + ")", 6, my + 10, LABEL_W - 10);
    ctx.strokeStyle = "#1f77b4"; ctx.fillStyle = "rgba(31,119,180,0.18)";
    ctx.beginPath(); ctx.moveTo(LABEL_W, my + MEM_H);
    var last = 0;
    for (var m = 0; m < mem.length; m += 2) {
      var mx = Math.min(width, Math.max(LABEL_W, x(mem[m])));
      ctx.lineTo(mx, my + MEM_H - (last / peak) * (MEM_H - 8));
      last = mem[m + 1];
      ctx.lineTo(mx, my + MEM_H - (last / peak) * (MEM_H - 8));
    }
    ctx.lineTo(width - PAD, my + MEM_H - (last / peak) * (MEM_H - 8));
    ctx.lineTo(width - PAD, my + MEM_H); ctx.closePath(); ctx.fill(); ctx.stroke();
    window.__npurtTimeline = { lanes: lanes.slice(), opsDrawn: drawn, arrowsDrawn: drawnArrows, ops: n, view: [view.a, view.b] };
    canvas.setAttribute("data-ops-drawn", String(drawn));
  }
  function fmtBytes(b) {
    if (b >= 1 << 30) return (b / (1 << 30)).toFixed(2) + " GiB";
    if (b >= 1 << 20) return (b / (1 << 20)).toFixed(2) + " MiB";
    if (b >= 1 << 10) return (b / (1 << 10)).toFixed(1) + " KiB";
    return b + " B";
  }
  function hit(px, py) {
    var l = Math.floor((py - AXIS_H) / LANE_H);
    if (l < 0 || l >= lanes.length || px < LABEL_W) return -1;
    var t = tAt(px), slack = (view.b - view.a) / (width - LABEL_W) * 2, best = -1;
    for (var i = 0; i < n; i++) {
      var o = i * 6;
      if (ops[o] === l && ops[o + 1] - slack <= t && ops[o + 2] + slack >= t) best = i;
    }
    return best;
  }
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var t = tAt(ev.offsetX), f = Math.exp(ev.deltaY * 0.0015);
    var a = t - (t - view.a) * f, b = t + (view.b - t) * f;
    if (b - a < 10) return;
    view.a = a; view.b = b; draw();
  }, { passive: false });
  var drag = null;
  canvas.addEventListener("mousedown", function (ev) { drag = { x: ev.offsetX, a: view.a, b: view.b }; });
  window.addEventListener("mouseup", function () { drag = null; });
  canvas.addEventListener("mousemove", function (ev) {
    if (drag) {
      var dt = ((ev.offsetX - drag.x) / (width - LABEL_W - PAD)) * (drag.b - drag.a);
      view.a = drag.a - dt; view.b = drag.b - dt; draw(); return;
    }
    var i = hit(ev.offsetX, ev.offsetY);
    if (i < 0) { tip.style.display = "none"; return; }
    var o = i * 6;
    tip.textContent = names[ops[o + 3]] + "\n" + lanes[ops[o]] + "\nstart " + fmt(ops[o + 1] - t0) + ", end " + fmt(ops[o + 2] - t0) +
      " (" + fmt(ops[o + 2] - ops[o + 1]) + ")\nstatus " + data.statuses[ops[o + 4]];
    tip.style.display = "block";
    tip.style.left = ev.pageX + 12 + "px";
    tip.style.top = ev.pageY + 12 + "px";
  });
  canvas.addEventListener("dblclick", function () { view.a = t0; view.b = t1; draw(); });
  window.addEventListener("resize", resize);
  resize();
})();
`;
