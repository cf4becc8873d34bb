/** The one logger: JSON lines with level, time, component and correlation id. */
export type Level = "debug" | "info" | "warn" | "error";
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  component: string,
  opts: { level?: Level; write?: (line: string) => void; fields?: Record<string, unknown> } = {},
): Logger {
  const min = rank[opts.level ?? "info"];
  const write = opts.write ?? ((line: string) => console.log(line));
  const base = { component, ...opts.fields };
  const emit = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (rank[level] < min) return;
    const extra = fields
      ? Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [k, v instanceof Error ? v.message : v]),
      )
      : {};
    write(JSON.stringify({ level, time: new Date().toISOString(), ...base, msg, ...extra }));
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (fields) => createLogger(component, { ...opts, fields: { ...opts.fields, ...fields } }),
  };
}
