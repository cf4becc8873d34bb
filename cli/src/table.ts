/** Human output: aligned tables for lists, aligned key/value lines for one record. */
export interface Column<T> {
  header: string;
  get: (row: T) => unknown;
}

export function cell(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.join(",");
  return JSON.stringify(value);
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function renderTable<T>(rows: T[], columns: Column<T>[], empty = "(none)"): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((r) =>
    columns.map((c) => truncate(cell(c.get(r)).replace(/\s+/g, " "), 60))
  );
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((row) => row[i].length))
  );
  const line = (values: string[]) =>
    values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join("  ");
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join("\n");
}

/** `key  value` lines, keys aligned; nested objects as compact JSON. */
export function renderRecord(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  const width = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => `${k.padEnd(width)}  ${cell(record[k])}`).join("\n");
}

/** Columns for rows whose shape the CLI does not pin down: every key seen, in first-seen order. */
export function autoColumns(
  rows: Record<string, unknown>[],
  skip: string[] = [],
): Column<Record<string, unknown>>[] {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !skip.includes(k));
  return keys.map((k) => ({ header: k, get: (r) => r[k] }));
}
