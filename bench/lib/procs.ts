/** Processes under a pid, named by what they run, and their CPU time from /proc/<pid>/stat. */
export { descendants } from "../../local/process.ts";

function readStat(pid: number): { ticks: number } | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (field 2) may hold spaces and parentheses: split after its last ")".
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // Fields 14 (utime) and 15 (stime), counted from 1 over the whole line.
    return { ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return null;
  }
}

/** What a process of the stack is, from its command line. */
export function processName(pid: number): string {
  let cmd: string[];
  try {
    cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter(Boolean);
  } catch {
    return "?";
  }
  const line = cmd.join(" ");
  const script = cmd.find((a) => a.endsWith(".ts") || a.endsWith(".js") || a.endsWith(".mjs"));
  if (script) {
    const m = /(?:local|workers|bench)\/(.+?)\.(?:ts|m?js)$/.exec(script);
    const name = m ? m[1].replace(/\/main$/, "") : script;
    return ({ "serve": "functions", "start": "npm start" } as Record<string, string>)[name] ?? name;
  }
  if (line.startsWith("postgres:")) {
    // Backends are titled "postgres: <user> <db> <addr> <state>"; the rest by their role.
    if (/walsender/.test(line)) return "postgres walsender (relay)";
    if (/postgres: \w+ \w+ [\d.]+\(\d+\)/.test(line)) return "postgres backends";
    return "postgres background";
  }
  const bin = (cmd[0] ?? "?").split(" ")[0].split("/").pop()!;
  return ({ "postgres": "postgres background", "redis-server": "redis" } as Record<string, string>)[
    bin
  ] ?? bin;
}

const CLK_TCK = (() => {
  try {
    const out = new Deno.Command("getconf", { args: ["CLK_TCK"] }).outputSync();
    return Number(new TextDecoder().decode(out.stdout).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds per pid, to diff two samples with `cpuPercent`. */
export function sampleCpu(pids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const pid of pids) {
    const s = readStat(pid);
    if (s) m.set(pid, s.ticks / CLK_TCK);
  }
  return m;
}

/** % of one core per process name between two samples `seconds` apart (processes of one name summed). */
export function cpuPercent(
  before: Map<number, number>,
  after: Map<number, number>,
  seconds: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, t] of after) {
    const name = processName(pid);
    out[name] = (out[name] ?? 0) + (t - (before.get(pid) ?? 0)) / seconds * 100;
  }
  return out;
}
