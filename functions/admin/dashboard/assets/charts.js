// Small SVG charts: lines (with optional area) and stacked bars over an hourly axis. No library.
const NS = "http://www.w3.org/2000/svg";
const PAD = { top: 12, right: 16, bottom: 26, left: 56 };

function el(name, attrs = {}, text) {
  const n = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

/** A "nice" upper bound and ticks for 0..max. */
function scale(max) {
  if (!(max > 0)) return { top: 1, ticks: [0, 1] };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const top = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  return { top, ticks };
}

/** Drawn at the container's pixel size, so text is never stretched; redraw on resize. */
function frame(target, { labels, yFormat, max, xLabel }) {
  const W = Math.max(240, Math.round(target.clientWidth || 640));
  const H = Math.max(120, Math.round(target.clientHeight || 220));
  const svg = el("svg", {
    viewBox: `0 0 ${W} ${H}`,
    width: W,
    height: H,
    class: "chart-svg",
    role: "img",
  });
  const { top, ticks } = scale(max);
  const iw = W - PAD.left - PAD.right, ih = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + ih - (v / top) * ih;
  const x = (i) => PAD.left + (labels.length <= 1 ? iw / 2 : (i / (labels.length - 1)) * iw);
  for (const t of ticks) {
    svg.append(el("line", { x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t), class: "grid" }));
    svg.append(
      el("text", { x: PAD.left - 8, y: y(t) + 4, class: "axis", "text-anchor": "end" }, yFormat(t)),
    );
  }
  const every = Math.max(1, Math.ceil(labels.length / Math.max(2, Math.floor(iw / 70))));
  labels.forEach((l, i) => {
    if (i % every === 0 || i === labels.length - 1 && labels.length < 10) {
      svg.append(
        el("text", { x: x(i), y: H - 8, class: "axis", "text-anchor": "middle" }, xLabel(l)),
      );
    }
  });
  target.replaceChildren(svg);
  return { svg, x, y, iw, ih };
}

function empty(target, message) {
  const div = document.createElement("div");
  div.className = "empty";
  div.textContent = message;
  target.replaceChildren(div);
}

/** series: [{name, className, values: (number|null)[], area?}] */
export function lineChart(
  target,
  { labels, series, yFormat = String, xLabel = String, emptyText = "No data in this window" },
) {
  const all = series.flatMap((s) => s.values).filter((v) => v !== null && v !== undefined);
  if (!all.length || all.every((v) => v === 0)) return empty(target, emptyText);
  const { svg, x, y } = frame(target, { labels, yFormat, max: Math.max(...all), xLabel });
  for (const s of series) {
    const pts = s.values.map((v, i) => (v === null || v === undefined ? null : [x(i), y(v)]));
    let d = "", open = false;
    for (const p of pts) {
      if (!p) {
        open = false;
        continue;
      }
      d += `${open ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
      open = true;
    }
    if (s.area) {
      const valid = pts.filter(Boolean);
      if (valid.length > 1) {
        const area = `M${valid[0][0]},${y(0)}` + valid.map((p) =>
          `L${p[0].toFixed(1)},${p[1].toFixed(1)}`
        ).join("") + `L${valid.at(-1)[0]},${y(0)}Z`;
        svg.append(el("path", { d: area, class: `area ${s.className}` }));
      }
    }
    svg.append(el("path", { d, class: `line ${s.className}` }));
    pts.forEach((p, i) => {
      if (!p) return;
      const dot = el("circle", {
        cx: p[0],
        cy: p[1],
        r: pts.length > 60 ? 0 : 2.5,
        class: `dot ${s.className}`,
      });
      dot.append(el("title", {}, `${xLabel(labels[i])} · ${s.name}: ${yFormat(s.values[i])}`));
      svg.append(dot);
    });
  }
}

/** stacks: [{name, className, values: number[]}] drawn bottom-up. */
export function stackedBars(
  target,
  { labels, stacks, yFormat = String, xLabel = String, emptyText = "No deliveries in this window" },
) {
  const totals = labels.map((_, i) => stacks.reduce((n, s) => n + (s.values[i] ?? 0), 0));
  if (totals.every((t) => t === 0)) return empty(target, emptyText);
  const { svg, x, y, iw } = frame(target, { labels, yFormat, max: Math.max(...totals), xLabel });
  const bw = Math.max(2, Math.min(22, (iw / labels.length) * 0.7));
  labels.forEach((l, i) => {
    let base = 0;
    for (const s of stacks) {
      const v = s.values[i] ?? 0;
      if (!v) continue;
      const r = el("rect", {
        x: x(i) - bw / 2,
        y: y(base + v),
        width: bw,
        height: Math.max(1, y(base) - y(base + v)),
        rx: 2,
        class: `bar ${s.className}`,
      });
      r.append(el("title", {}, `${xLabel(l)} · ${s.name}: ${yFormat(v)}`));
      svg.append(r);
      base += v;
    }
  });
}
