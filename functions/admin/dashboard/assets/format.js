// Number, time and duration formatting for the dashboard.
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en");

export const num = (
  n,
) => (n === null || n === undefined
  ? "—"
  : Math.abs(n) >= 10_000
  ? compact.format(n)
  : whole.format(Math.round(n * 100) / 100));

export function ms(v) {
  if (v === null || v === undefined) return "—";
  if (v === 0) return "0";
  if (v < 1) return "<1 ms";
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 1 : 0)} s`;
  return `${(v / 60_000).toFixed(1)} min`;
}

export const pct = (
  v,
) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(v >= 0.999 || v === 0 ? 0 : 1)}%`);

export function hourLabel(iso, spanHours) {
  const d = new Date(iso);
  const hh = `${String(d.getUTCHours()).padStart(2, "0")}:00`;
  return spanHours > 48 ? `${d.getUTCMonth() + 1}/${d.getUTCDate()} ${hh}` : hh;
}

export function ago(iso, now = Date.now()) {
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}
