"""The recorded lab's page: HTML, CSS and JavaScript in one template, the data inlined by npgan.lab.export.

It needs nothing from the network: the frames are JSON, D's heatmap bytes drawn through a colour table on
a canvas. `lab.html#frame=N` opens at frame N (for a screenshot of a given frame); the title becomes
"npgan lab: ready frame=N" once a frame is drawn and "npgan lab: error: ..." on any script error.
"""

TEMPLATE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>npgan lab: loading</title>
<style>
 body { font: 14px/1.4 system-ui, sans-serif; margin: 12px; color: #222; background: #fff; }
 h1 { font-size: 17px; margin: 0 0 6px 0; }
 #row { display: flex; gap: 10px; align-items: flex-start; }
 canvas { border: 1px solid #ccc; }
 #controls { margin: 8px 0; display: flex; gap: 10px; align-items: center; }
 #slider { width: 520px; }
 #legend, #status { color: #555; font-size: 12px; max-width: 980px; }
 .sw { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin: 0 3px 0 8px; }
</style></head>
<body>
<h1 id="heading">npgan lab</h1>
<div id="row"><canvas id="plane" width="540" height="540"></canvas><canvas id="curves" width="420" height="540"></canvas></div>
<div id="controls"><button id="play">&#9654; play</button>
 <input type="range" id="slider" min="0" max="0" value="0"> <span id="label"></span>
 <label>speed <select id="speed"><option value="500">slow</option><option value="150" selected>normal</option>
 <option value="50">fast</option></select></label>
 <label><input type="checkbox" id="dstar"> show D* instead of D</label></div>
<p id="legend"></p>
<div id="status"></div>
<script>
"use strict";
window.onerror = function (message, source, line) {
  document.title = "npgan lab: error: " + message + " (line " + line + ")";
  document.getElementById("status").textContent = document.title;
};
const DATA = /*DATA*/null;
const M = DATA.meta, F = DATA.frames, LO = M.window[0], HI = M.window[1], R = M.resolution;
const plane = document.getElementById("plane"), pc = plane.getContext("2d");
const curves = document.getElementById("curves"), cc = curves.getContext("2d");
const W = plane.width, H = plane.height, PAD = 34;
const LUT = M.colormap.map(h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16)));
const sx = x => PAD + (x - LO) / (HI - LO) * (W - 2 * PAD);
const sy = y => H - PAD - (y - LO) / (HI - LO) * (H - 2 * PAD);
const off = document.createElement("canvas"); off.width = R; off.height = R;
const oc = off.getContext("2d");
let current = 0, timer = null;

function decode(b64) {
  const s = atob(b64), a = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return a;
}
function arrow(ctx, x0, y0, x1, y1) {
  const a = Math.atan2(y1 - y0, x1 - x0), h = 5;
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1);
  ctx.lineTo(x1 - h * Math.cos(a - 0.45), y1 - h * Math.sin(a - 0.45));
  ctx.moveTo(x1, y1); ctx.lineTo(x1 - h * Math.cos(a + 0.45), y1 - h * Math.sin(a + 0.45)); ctx.stroke();
}
function dot(ctx, x, y, r, fill, stroke) {
  ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fillStyle = fill; ctx.fill();
  if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = 0.8; ctx.stroke(); }
}
function arrowScale(f) {  // the longest arrow is 8 % of the window: gx is drawn to scale within a frame
  let most = 0;
  for (const g of f.gx) most = Math.max(most, Math.hypot(...g));
  return most > 0 ? 0.08 * (HI - LO) / most : 0;
}

function draw2d(f) {
  const bytes = decode(document.getElementById("dstar").checked ? f.d_star : f.heat);
  const img = oc.createImageData(R, R);
  for (let r = 0; r < R; r++) for (let c = 0; c < R; c++) {
    const col = LUT[bytes[r * R + c]], o = ((R - 1 - r) * R + c) * 4;  // row 0 is the lowest y
    img.data[o] = col[0]; img.data[o + 1] = col[1]; img.data[o + 2] = col[2]; img.data[o + 3] = 255;
  }
  oc.putImageData(img, 0, 0);
  pc.imageSmoothingEnabled = true;
  pc.drawImage(off, sx(LO), sy(HI), sx(HI) - sx(LO), sy(LO) - sy(HI));
  pc.save(); pc.beginPath(); pc.rect(sx(LO), sy(HI), sx(HI) - sx(LO), sy(LO) - sy(HI)); pc.clip();
  pc.strokeStyle = "rgba(40,40,40,0.45)"; pc.lineWidth = 0.8;
  for (const line of f.gmap) {
    pc.beginPath();
    line.forEach((p, i) => i ? pc.lineTo(sx(p[0]), sy(p[1])) : pc.moveTo(sx(p[0]), sy(p[1])));
    pc.stroke();
  }
  for (const p of DATA.real) dot(pc, sx(p[0]), sy(p[1]), 1.6, "#1a9641");
  const s = arrowScale(f);
  pc.strokeStyle = "#111"; pc.lineWidth = 1.1;
  f.fake.forEach((p, i) => arrow(pc, sx(p[0]), sy(p[1]), sx(p[0] - s * f.gx[i][0]), sy(p[1] - s * f.gx[i][1])));
  for (const p of f.fake) dot(pc, sx(p[0]), sy(p[1]), 2.6, "#7b3294", "#fff");
  pc.restore();
  pc.strokeStyle = "#888"; pc.strokeRect(sx(LO), sy(HI), sx(HI) - sx(LO), sy(LO) - sy(HI));
  pc.fillStyle = "#333"; pc.font = "11px sans-serif";
  pc.fillText(LO.toFixed(1), sx(LO) - 8, H - 12); pc.fillText(HI.toFixed(1), sx(HI) - 12, H - 12);
  pc.fillText(HI.toFixed(1), 2, sy(HI) + 4); pc.fillText(LO.toFixed(1), 2, sy(LO));
}

function draw1d(f) {
  const top = 30, base = H * 0.68, mapTop = base + 34, mapBottom = H - 30;
  const yv = v => base - Math.min(v, 1.15) / 1.15 * (base - top);
  const xs = M.cells.map(sx);
  function curve(values, style, width, dash) {
    pc.beginPath(); pc.strokeStyle = style; pc.lineWidth = width; pc.setLineDash(dash || []);
    values.forEach((v, i) => i ? pc.lineTo(xs[i], yv(v)) : pc.moveTo(xs[i], yv(v))); pc.stroke(); pc.setLineDash([]);
  }
  pc.strokeStyle = "#bbb"; pc.beginPath(); pc.moveTo(sx(LO), yv(0.5)); pc.lineTo(sx(HI), yv(0.5)); pc.stroke();
  M.p_data.forEach((v, i) => { if (i % 2 === 0) dot(pc, xs[i], yv(v), 1.4, "#000"); });
  curve(f.p_g, "#1a9641", 1.8);
  curve(f.d_star, "rgba(33,102,172,0.7)", 0.8);
  curve(f.d, "#2166ac", 1.8, [6, 4]);
  const s = arrowScale(f), y0 = yv(0) - 6;
  pc.strokeStyle = "#111"; pc.lineWidth = 1.0;
  f.fake.forEach((p, i) => arrow(pc, sx(p[0]), y0, sx(p[0] - s * f.gx[i][0]), y0));
  for (const p of f.fake) dot(pc, sx(p[0]), y0, 2.4, "#7b3294", "#fff");
  pc.strokeStyle = "#000"; pc.beginPath(); pc.moveTo(sx(LO), base); pc.lineTo(sx(HI), base); pc.stroke();
  const zc = 0.5 * (LO + HI), zh = 0.45 * (HI - LO);  // z in [-2.5, 2.5] drawn on 90 % of the axis
  pc.beginPath(); pc.moveTo(sx(zc - zh), mapBottom); pc.lineTo(sx(zc + zh), mapBottom); pc.stroke();
  pc.beginPath(); pc.moveTo(sx(LO), mapTop); pc.lineTo(sx(HI), mapTop); pc.stroke();
  pc.strokeStyle = "#555"; pc.lineWidth = 0.8;
  f.gmap.forEach((g, i) => {
    const z = -2.5 + 5 * i / (f.gmap.length - 1), x = Math.max(LO, Math.min(HI, g[0]));
    arrow(pc, sx(zc + zh * z / 2.5), mapBottom, sx(x), mapTop + 2);
  });
  pc.fillStyle = "#333"; pc.font = "11px sans-serif";
  pc.fillText("z", sx(LO), mapBottom - 4); pc.fillText("x = G(z)", sx(HI) - 50, mapTop - 4);
  pc.fillText(LO.toFixed(1), sx(LO) - 8, base + 14); pc.fillText(HI.toFixed(1), sx(HI) - 12, base + 14);
}

function panel(y0, h, title, values, ref, lo, hi) {
  const x0 = 48, x1 = curves.width - 12, n = F.length;
  const px = i => x0 + (n > 1 ? i / (n - 1) : 0) * (x1 - x0), py = v => y0 + h - (v - lo) / (hi - lo) * h;
  cc.strokeStyle = "#999"; cc.lineWidth = 1; cc.strokeRect(x0, y0, x1 - x0, h);
  cc.fillStyle = "#333"; cc.font = "12px sans-serif"; cc.fillText(title, x0, y0 - 5);
  cc.font = "10px sans-serif"; cc.fillText(hi.toFixed(2), 4, y0 + 9); cc.fillText(lo.toFixed(2), 4, y0 + h);
  if (ref !== null) {
    cc.setLineDash([4, 3]); cc.strokeStyle = "#d7191c"; cc.beginPath();
    cc.moveTo(x0, py(ref)); cc.lineTo(x1, py(ref)); cc.stroke(); cc.setLineDash([]);
  }
  cc.strokeStyle = "#2166ac"; cc.lineWidth = 1.5; cc.beginPath();
  values.forEach((v, i) => i ? cc.lineTo(px(i), py(v)) : cc.moveTo(px(i), py(v))); cc.stroke();
  cc.strokeStyle = "#444"; cc.lineWidth = 1; cc.beginPath();
  cc.moveTo(px(current), y0); cc.lineTo(px(current), y0 + h); cc.stroke();
  dot(cc, px(current), py(values[current]), 3.5, "#d7191c");
}

function drawCurves() {
  cc.clearRect(0, 0, curves.width, curves.height);
  const v = F.map(f => f.value), j = F.map(f => f.jsd);
  const vlo = Math.min(-M.log4 - 0.05, ...v), vhi = Math.max(-M.log4 + 0.05, ...v);
  panel(30, 130, "V(D, G) on the grid; dashed: \u2212log 4", v, -M.log4, vlo, vhi);
  panel(200, 130, "JSD(p_data \u2016 p_g) on the grid", j, null, 0, Math.log(2));
  if (F[0].modes !== null) panel(370, 130, "modes covered (of " + M.n_modes + ")", F.map(f => f.modes), null, 0, M.n_modes);
  cc.fillStyle = "#333"; cc.font = "11px sans-serif";
  cc.fillText("iteration 0 \u2026 " + F[F.length - 1].iteration, 48, 525);
}

function draw(i) {
  current = Math.max(0, Math.min(F.length - 1, i | 0));
  const f = F[current];
  pc.clearRect(0, 0, W, H);
  (M.dim === 2 ? draw2d : draw1d)(f);
  drawCurves();
  document.getElementById("slider").value = current;
  document.getElementById("label").textContent = "frame " + current + " / " + (F.length - 1) + ": iteration " +
    f.iteration + " (" + f.d_updates + " D, " + f.g_updates + " G updates)  V = " + f.value.toFixed(3) +
    "  JSD = " + f.jsd.toFixed(3) + (f.modes === null ? "" : "  modes " + f.modes + "/" + M.n_modes) +
    "  arrows: " + f.arrows_from;
  if (!document.title.includes("error")) document.title = "npgan lab: ready frame=" + current;
}

document.getElementById("heading").textContent = "npgan lab: " + M.data + " (" + M.dim + "-D), " + M.loss +
  " loss, k = " + M.k + ", " + M.optimizer + " lr " + M.lr + ", width " + M.hidden + ", batch " + M.batch_size +
  ", seed " + M.seed + " (npgan " + M.version + ")";
document.getElementById("legend").innerHTML = (M.dim === 2
  ? "Heatmap: D(x) (purple: 0, fake; orange: 1, real), or D* = p_data/(p_data + p_g). "
  + "<span class=sw style='background:#1a9641'></span>real samples <span class=sw style='background:#7b3294'></span>fakes "
  + "of G's step, each with its arrow \u2212\u2202(G's loss)/\u2202x (the gx D's backward hands G's, scaled so the longest "
  + "is 8 % of the window). Grey mesh: G's map, the image of a z-grid over [\u22122.5, 2.5]\u00b2."
  : "Black dots: p_data; green: p_g (histogram of G's samples); dashed blue: D(x); thin blue: D*. Purple: the fakes "
  + "of G's step with their arrows \u2212\u2202(G's loss)/\u2202x. Below: G's map, z (bottom) to x = G(z).")
  + " One frame every " + M.every + " iterations.";
const slider = document.getElementById("slider");
slider.max = F.length - 1;
slider.addEventListener("input", () => draw(+slider.value));
document.getElementById("dstar").addEventListener("change", () => draw(current));
function stop() { clearInterval(timer); timer = null; document.getElementById("play").innerHTML = "&#9654; play"; }
function start() {
  if (current >= F.length - 1) draw(0);
  timer = setInterval(() => { if (current >= F.length - 1) stop(); else draw(current + 1); },
                      +document.getElementById("speed").value);
  document.getElementById("play").innerHTML = "&#10074;&#10074; pause";
}
document.getElementById("play").addEventListener("click", () => (timer ? stop() : start()));
document.getElementById("speed").addEventListener("change", () => { if (timer) { stop(); start(); } });
const asked = /frame=(\d+)/.exec(location.hash);
draw(asked ? +asked[1] : 0);
</script>
</body></html>
"""
