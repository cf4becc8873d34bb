/** Boots `npm start` (local/start.ts) in its own state folder and ports, and finds its processes. */
import { sleep } from "../functions/_shared/clock.ts";
import { freePorts } from "../local/ports.ts";

export const root = new URL("..", import.meta.url).pathname;

export function descendants(pid: number): number[] {
  const out = new TextDecoder().decode(
    new Deno.Command("ps", { args: ["-e", "-o", "pid=,ppid="] }).outputSync().stdout,
  );
  const children = new Map<number, number[]>();
  for (const line of out.trim().split("\n")) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const all: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      all.push(c);
      walk(c);
    }
  };
  walk(pid);
  return all;
}

export const alive = (pid: number) => {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
};

export interface StackPorts {
  api: number;
  db: number;
  bridge: number;
}

/** Three distinct free ports for one `npm start`. */
export function stackPorts(): StackPorts {
  const [api, db, bridge] = freePorts(3);
  return { api, db, bridge };
}

export async function boot(
  stateDir: string,
  ports: StackPorts,
  extraEnv: Record<string, string> = {},
) {
  const env: Record<string, string> = { ...Deno.env.toObject() };
  for (
    const k of [
      "DATABASE_URL",
      "UPSTASH_REDIS_REST_URL",
      "UPSTASH_REDIS_REST_TOKEN",
      "SUPABASE_URL",
      "SUPABASE_SERVICE_ROLE_KEY",
    ]
  ) delete env[k];
  Object.assign(env, {
    SWITCHYARD_STATE_DIR: stateDir,
    SWITCHYARD_PORT: String(ports.api),
    SWITCHYARD_DB_PORT: String(ports.db),
    SWITCHYARD_BRIDGE_PORT: String(ports.bridge),
    LOG_LEVEL: "warn",
    ...extraEnv,
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "local/start.ts"],
    cwd: root,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const drain = (s: ReadableStream<Uint8Array>) =>
    s.pipeTo(new WritableStream({ write: (c) => void (output += decoder.decode(c)) }));
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const started = Date.now();
  const url = `http://127.0.0.1:${ports.api}/functions/v1/api/health`;
  let health: { status: string; checks: Record<string, unknown> } | undefined;
  while (Date.now() - started < 60_000) {
    try {
      const res = await fetch(url);
      health = await res.json();
      // Start-up is done when the banner is out: the functions answer health a moment before the
      // relay and the scheduler are started and it is printed.
      if (
        res.status === 200 && health!.status === "ok" && output.includes("Switchyard is running")
      ) {
        break;
      }
    } catch { /* not up yet */ }
    await sleep(250);
  }
  return { child, health, elapsedMs: Date.now() - started, output: () => output, drained };
}
