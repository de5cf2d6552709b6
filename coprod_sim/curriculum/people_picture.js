// The people picture: the model's own people, week by week, drawn in SVG.
// All drawing happens in the browser from data sent once per run, so playing
// the 52 weeks needs no round trip to the kernel (and works in Voila and in a
// saved notebook). Colours: Okabe-Ito, and never colour alone: "never invited" is
// hollow, "dropped out" is black. Names sit in the gap below their row of blocks,
// pushed apart so they never cover a mark or each other.
const NS = "http://www.w3.org/2000/svg";
const STATUS = [
  { label: "never invited", fill: "none", stroke: "#8A8A8A" },
  { label: "invited, not taking part", fill: "#E69F00", stroke: "#7A5500" },
  { label: "taking part", fill: "#0072B2", stroke: "#003A5C" },
  { label: "dropped out", fill: "#000000", stroke: "#000000" },
];
const GRADE = {
  user: { fill: "#0072B2", label: "service users" },
  frontline: { fill: "#56B4E9", label: "front-line staff" },
  manager: { fill: "#CC79A7", label: "managers" },
};
const W = 1000, H = 600;

function node(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
function text(parent, x, y, s, attrs) {
  const t = node("text", Object.assign({ x, y, "font-size": 15, fill: "#000" }, attrs || {}), parent);
  t.textContent = s;
  return t;
}
function mark(parent, x, y, r, triangle) {
  if (triangle) {
    const h = r * 1.25;
    return node("polygon", {
      points: `${x},${y - h} ${x - h},${y + h * 0.8} ${x + h},${y + h * 0.8}`,
    }, parent);
  }
  return node("circle", { cx: x, cy: y, r }, parent);
}
function pct(v) { return Math.round(v * 100) + "%"; }

function render({ model, el }) {
  el.classList.add("coprod-people");
  const root = document.createElement("figure");
  root.className = "coprod-people-figure";
  el.appendChild(root);
  const svg = node("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", width: "100%" });
  svg.style.maxWidth = "1000px";
  const title = node("title", {}, svg);
  root.appendChild(svg);
  const bar = document.createElement("div");
  bar.className = "coprod-people-controls";
  root.appendChild(bar);
  const play = document.createElement("button");
  play.type = "button";
  play.className = "coprod-people-play";
  const slider = document.createElement("input");
  slider.type = "range";
  slider.min = "1";
  slider.className = "coprod-people-week";
  const weekLabel = document.createElement("span");
  weekLabel.className = "coprod-people-weeklabel";
  bar.append(play, slider, weekLabel);
  const caption = document.createElement("figcaption");
  caption.className = "coprod-people-caption";
  caption.setAttribute("aria-live", "polite");
  root.appendChild(caption);

  let data = null, marks = [], rings = [], room = null, chart = null, timer = null;
  let week = 0;

  function build() {
    data = model.get("data");
    while (svg.lastChild !== title) svg.removeChild(svg.lastChild);
    marks = []; rings = [];
    if (!data || !data.n) return;
    title.textContent = model.get("alt");
    svg.setAttribute("aria-label", model.get("alt"));
    slider.max = String(data.weeks);
    slider.setAttribute("aria-label", "Week of the project");
    // Blocks: age bands down, deprivation across.
    const g = node("g", {}, svg);
    text(g, 10, 22, data.heading, { "font-size": 18, "font-weight": "bold" });
    for (const b of data.blocks) {
      node("rect", { x: b.x, y: b.y, width: b.w, height: b.h, fill: "#F4F4F4", stroke: "#CCCCCC", rx: 4 }, g);
    }
    for (const l of data.labels) text(g, l.x, l.y, l.text, { "font-size": 14, "text-anchor": l.anchor || "start" });
    // Peer ties of the people we follow.
    const tg = node("g", { stroke: "#999999", "stroke-width": 1, opacity: 0.7 }, svg);
    for (const [i, j] of data.ties) {
      node("line", { x1: data.x[i], y1: data.y[i], x2: data.x[j], y2: data.y[j] }, tg);
    }
    const mg = node("g", {}, svg);
    for (let i = 0; i < data.n; i++) {
      const m = mark(mg, data.x[i], data.y[i], data.r, data.need[i]);
      m.setAttribute("stroke-width", 1.2);
      marks.push(m);
    }
    const rg = node("g", { fill: "none", stroke: "#000", "stroke-width": 2 }, svg);
    for (let i = 0; i < data.n; i++) {
      const c = node("circle", { cx: data.x[i], cy: data.y[i], r: data.r + 3, visibility: "hidden" }, rg);
      rings.push(c);
    }
    const fg = node("g", {}, svg);
    // Each name goes in the gap below its person's row of blocks, at the person's
    // x, pushed right (then left) so that names in one gap never overlap.
    const placed = [];
    const rowBottom = (y) => Math.max(...data.blocks.filter((b) => y >= b.y && y <= b.y + b.h)
      .map((b) => b.y + b.h));
    const right = Math.max(...data.blocks.map((b) => b.x + b.w));
    const sorted = [...data.followed].sort((a, b) => data.x[a.index] - data.x[b.index]);
    for (const f of sorted) {
      const px = data.x[f.index], py = data.y[f.index];
      node("circle", { cx: px, cy: py, r: data.r + 5, fill: "none", stroke: "#000", "stroke-width": 2.5, "stroke-dasharray": "3 2" }, fg);
      const ly = rowBottom(py) + 15, w = f.name.length * 8.5 + 6;
      let lx = Math.min(Math.max(px - w / 2, 4), right - w);
      for (const q of placed) {
        if (q.y === ly && lx < q.x + q.w + 4 && lx + w + 4 > q.x) lx = q.x + q.w + 4;
      }
      if (lx + w > right) lx = right - w;
      placed.push({ x: lx, y: ly, w });
      node("line", { x1: px, y1: py + data.r + 5, x2: Math.min(Math.max(px, lx + 4), lx + w - 4), y2: ly - 12, stroke: "#000", "stroke-width": 1 }, fg);
      text(fg, lx + 3, ly, f.name, { "font-size": 13, "font-weight": "bold" });
    }
    legend();
    room = node("g", {}, svg);
    chart = node("g", {}, svg);
    drawChartFrame();
  }

  function legend() {
    const lg = node("g", {}, svg);
    const x0 = data.legend.x, y0 = data.legend.y;
    const at = [0, 125, 320, 440];
    STATUS.forEach((s, k) => {
      const x = x0 + at[k];
      const m = mark(lg, x, y0, 6, false);
      m.setAttribute("fill", s.fill); m.setAttribute("stroke", s.stroke); m.setAttribute("stroke-width", 1.5);
      text(lg, x + 10, y0 + 5, s.label, { "font-size": 13 });
    });
    const y1 = y0 + 22;
    let m = mark(lg, x0, y1, 6, false); m.setAttribute("fill", "#fff"); m.setAttribute("stroke", "#000");
    text(lg, x0 + 10, y1 + 5, "no access need", { "font-size": 13 });
    m = mark(lg, x0 + 125, y1, 6, true); m.setAttribute("fill", "#fff"); m.setAttribute("stroke", "#000");
    text(lg, x0 + 135, y1 + 5, "has an access need", { "font-size": 13 });
    node("circle", { cx: x0 + 320, cy: y1, r: 8, fill: "none", stroke: "#000", "stroke-width": 2 }, lg);
    text(lg, x0 + 332, y1 + 5, "at a meeting this week", { "font-size": 13 });
    node("circle", { cx: x0 + 505, cy: y1, r: 9, fill: "none", stroke: "#000", "stroke-width": 2.5, "stroke-dasharray": "3 2" }, lg);
    text(lg, x0 + 518, y1 + 5, "a person we follow", { "font-size": 13 });
    const y2 = y1 + 22;
    node("line", { x1: x0 - 6, x2: x0 + 16, y1: y2, y2: y2, stroke: "#999999", "stroke-width": 1 }, lg);
    text(lg, x0 + 22, y2 + 5, "knows a person we follow (a peer)", { "font-size": 13 });
  }

  function drawChartFrame() {
    const c = data.chart;
    if (!c) return;
    const { x, y, w, h } = c.box;
    node("rect", { x, y, width: w, height: h, fill: "#fff", stroke: "#BBBBBB" }, chart);
    text(chart, x, y - 8, c.title, { "font-size": 15, "font-weight": "bold" });
    for (const t of c.yticks) {
      const yy = y + h - (t - c.lo) / (c.hi - c.lo) * h;
      node("line", { x1: x, x2: x + w, y1: yy, y2: yy, stroke: "#E5E5E5" }, chart);
      text(chart, x - 6, yy + 5, c.tickLabels[c.yticks.indexOf(t)], { "font-size": 12, "text-anchor": "end" });
    }
    const px = (k) => x + (k / Math.max(1, data.weeks - 1)) * w;
    const py = (v) => y + h - (v - c.lo) / (c.hi - c.lo) * h;
    c.lines.forEach((l, k) => {
      const d = l.values.map((v, i) => `${i ? "L" : "M"}${px(i).toFixed(1)},${py(v).toFixed(1)}`).join("");
      node("path", { d, fill: "none", stroke: l.colour, "stroke-width": 3, "stroke-dasharray": l.dash || "" }, chart);
      const lx = x + w + 8, ly = y + 14 + k * 20;
      node("line", { x1: lx, x2: lx + 22, y1: ly - 5, y2: ly - 5, stroke: l.colour, "stroke-width": 3, "stroke-dasharray": l.dash || "" }, chart);
      text(chart, lx + 28, ly, l.label, { "font-size": 13 });
    });
    // Week ticks: week 1, then every quarter (every year for a long run), and the
    // last week, each at its own week (week n is point n - 1 of the line).
    const every = data.weeks > 104 ? 52 : 13;
    const ticks = [1];
    for (let wk = every; wk <= data.weeks; wk += every) ticks.push(wk);
    if (ticks[ticks.length - 1] !== data.weeks) ticks.push(data.weeks);
    for (const wk of ticks) {
      const tx = px(wk - 1);
      node("line", { x1: tx, x2: tx, y1: y + h, y2: y + h + 4, stroke: "#555" }, chart);
      text(chart, tx, y + h + 17, String(wk), { "font-size": 12, "text-anchor": "middle" });
    }
    text(chart, x + w / 2, y + h + 33, "week", { "font-size": 12, "text-anchor": "middle" });
    const ly = y + 14 + c.lines.length * 20;
    node("line", { x1: x + w + 8, x2: x + w + 30, y1: ly - 5, y2: ly - 5, stroke: "#000", "stroke-width": 1.5 }, chart);
    node("circle", { cx: x + w + 19, cy: ly - 5, r: 4, fill: "#000" }, chart);
    text(chart, x + w + 36, ly, "the week shown above", { "font-size": 13 });
    chart.cursor = node("line", { y1: y, y2: y + h, stroke: "#000", "stroke-width": 1.5 }, chart);
    chart.dot = node("circle", { r: 5, fill: "#000" }, chart);
    chart.px = px; chart.py = py;
  }

  function drawRoom(wk) {
    while (room.firstChild) room.removeChild(room.firstChild);
    const R = data.room;
    const mw = data.meetingAt[wk];
    text(room, R.x, R.y - 8, mw < 0 ? "No meeting yet" :
      `The meeting in week ${mw + 1}`, { "font-size": 15, "font-weight": "bold" });
    node("ellipse", { cx: R.x + R.w / 2, cy: R.y + R.h / 2, rx: R.w * 0.3, ry: R.h * 0.22, fill: "#E8DCC8", stroke: "#8C7B62" }, room);
    if (mw < 0) return;
    const m = data.meetings[String(mw)];
    const seats = m.seats;
    const cx = R.x + R.w / 2, cy = R.y + R.h / 2;
    const big = Math.max(...seats.map((s) => s.share), 0.01);
    seats.forEach((s, k) => {
      const a = -Math.PI / 2 + (2 * Math.PI * k) / seats.length;
      const sx = cx + Math.cos(a) * R.w * 0.4, sy = cy + Math.sin(a) * R.h * 0.36;
      const r = 5 + 13 * Math.sqrt(s.share / big);
      const e = s.grade === "user" ? node("circle", { cx: sx, cy: sy, r }, room) :
        node("rect", { x: sx - r, y: sy - r, width: 2 * r, height: 2 * r }, room);
      e.setAttribute("fill", GRADE[s.grade].fill);
      e.setAttribute("stroke", "#000");
      if (s.name) {
        // names outside the ring of seats, never on the table or another seat
        const ox = cx + Math.cos(a) * (R.w * 0.4 + r + 8), oy = cy + Math.sin(a) * (R.h * 0.36 + r + 10);
        const anchor = Math.cos(a) > 0.3 ? "start" : Math.cos(a) < -0.3 ? "end" : "middle";
        text(room, ox, oy + 4, s.name, { "font-size": 12, "text-anchor": anchor, "font-weight": "bold" });
      }
    });
    // Who spoke: one bar split three ways.
    const by = R.y + R.h + 10, bw = R.w;
    let bx = R.x;
    text(room, R.x, by - 2, "Share of the talking time:", { "font-size": 13 });
    ["user", "frontline", "manager"].forEach((gname, k) => {
      const v = m.talk[gname];
      node("rect", { x: bx, y: by + 4, width: Math.max(0, v * bw), height: 16, fill: GRADE[gname].fill, stroke: "#000", "stroke-width": 0.5 }, room);
      bx += v * bw;
      node("rect", { x: R.x, y: by + 28 + k * 17, width: 12, height: 12, fill: GRADE[gname].fill, stroke: "#000", "stroke-width": 0.5 }, room);
      text(room, R.x + 17, by + 38 + k * 17, `${GRADE[gname].label}: ${pct(v)} (${m.count[gname]} at the table)`, { "font-size": 13 });
    });
    // What the seats mean.
    const ky = by + 38 + 3 * 17 + 4;
    node("circle", { cx: R.x + 6, cy: ky - 4, r: 6, fill: "#fff", stroke: "#000" }, room);
    text(room, R.x + 17, ky, "service user", { "font-size": 12 });
    node("rect", { x: R.x + 100, y: ky - 10, width: 12, height: 12, fill: "#fff", stroke: "#000" }, room);
    text(room, R.x + 117, ky, "staff", { "font-size": 12 });
    text(room, R.x + 160, ky, "bigger seat: spoke more", { "font-size": 12 });
  }

  function draw(wk) {
    const t0 = performance.now();
    week = Math.max(0, Math.min(data.weeks - 1, wk));
    const row = data.status[week], table = data.table[week];
    for (let i = 0; i < data.n; i++) {
      const s = STATUS[row.charCodeAt(i) - 48];
      marks[i].setAttribute("fill", s.fill);
      marks[i].setAttribute("stroke", s.stroke);
      rings[i].setAttribute("visibility", table.charCodeAt(i) === 49 ? "visible" : "hidden");
    }
    drawRoom(week);
    if (data.chart && chart.cursor) {
      const x = chart.px(week);
      chart.cursor.setAttribute("x1", x); chart.cursor.setAttribute("x2", x);
      const v = data.chart.lines[0].values[week];
      chart.dot.setAttribute("cx", x); chart.dot.setAttribute("cy", chart.py(v));
    }
    slider.value = String(week + 1);
    weekLabel.textContent = `Week ${week + 1} of ${data.weeks}`;
    caption.textContent = data.captions[week];
    el.dataset.week = String(week + 1);
    el.dataset.drawMs = (performance.now() - t0).toFixed(2);
    el.dataset.frames = String(Number(el.dataset.frames || 0) + 1);
  }

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    play.textContent = "▶ Play";
    play.setAttribute("aria-pressed", "false");
    caption.setAttribute("aria-live", "polite");
    model.set("week", week + 1);
    model.save_changes();
  }
  function start() {
    if (week >= data.weeks - 1) draw(0);
    play.textContent = "❚❚ Pause";
    play.setAttribute("aria-pressed", "true");
    caption.setAttribute("aria-live", "off");
    timer = setInterval(() => {
      if (week >= data.weeks - 1) { stop(); return; }
      draw(week + 1);
    }, 1000 / (model.get("speed") || 12));
  }
  play.addEventListener("click", () => (timer ? stop() : start()));
  slider.addEventListener("input", () => { if (timer) stop(); draw(Number(slider.value) - 1); });
  slider.addEventListener("change", () => { model.set("week", week + 1); model.save_changes(); });

  function rebuild() {
    const was = timer !== null;
    if (was) clearInterval(timer);
    timer = null;
    build();
    if (!data || !data.n) { caption.textContent = "No run to show yet."; return; }
    draw(Math.min(data.weeks, model.get("week") || data.weeks) - 1);
    play.textContent = "▶ Play";
    if (was) start();
    el.dataset.built = String(Number(el.dataset.built || 0) + 1);
  }
  model.on("change:data", rebuild);
  model.on("change:week", () => { if (!timer && data && data.n) draw((model.get("week") || 1) - 1); });
  rebuild();
  return () => { if (timer) clearInterval(timer); };
}

export default { render };
