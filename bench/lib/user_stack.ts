/**
 * The stack as users run it: `npm start` (local/start.ts) in a fresh state folder on free ports,
 * with every process it starts, found under its pid for CPU accounting. Stopped with SIGTERM, as
 * Ctrl-C would, and anything left of it by pid.
 */
import { freePort } from "../../local/ports.ts";
import { readEnvFile } from "../../local/envfile.ts";
import { descendants } from "../../local/process.ts";
import { sleep } from "../../functions/_shared/clock.ts";

const root = new URL("../..", import.meta.url).pathname;

export interface UserStack {
  /** What `npm start` wrote to its env file (DATABASE_URL, keys, the bridge's URL and token). */
  env: Record<string, string>;
  /** `http://127.0.0.1:<port>/functions/v1` */
  base: string;
  pid: number;
  stop(): Promise<void>;
}

/** `args` go to `npm start` (e.g. `--example bank`). */
export async function startUserStack(
  extraEnv: Record<string, string> = {},
  args: string[] = [],
): Promise<UserStack> {
  const stateDir = await Deno.makeTempDir({ prefix: "switchyard-bench-stack-" });
  await Deno.chmod(stateDir, 0o755);
  const ports = new Set<number>();
  const port = () => {
    let p = freePort();
    while (ports.has(p)) p = freePort();
    ports.add(p);
    return p;
  };
  const api = port();
  const env: Record<string, string> = { ...Deno.env.toObject() };
  // The stack's own services, not whatever a developer's shell points at.
  for (const k of Object.keys(env)) {
    if (/^(DATABASE_URL|UPSTASH_|SUPABASE_|SWITCHYARD_|RELAY_|INGEST_)/.test(k)) delete env[k];
  }
  Object.assign(env, {
    SWITCHYARD_STATE_DIR: stateDir,
    SWITCHYARD_PORT: String(api),
    SWITCHYARD_DB_PORT: String(port()),
    SWITCHYARD_BRIDGE_PORT: String(port()),
    LOG_LEVEL: "warn",
    // The benchmark measures throughput, not the per-tenant guard in front of it.
    INGEST_TENANT_RATE: "100000000",
    INGEST_IP_RATE: "100000000",
    ...extraEnv,
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "local/start.ts", ...args],
    cwd: root,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const drain = (s: ReadableStream<Uint8Array>) =>
    s.pipeTo(new WritableStream({ write: (c) => void (output += decoder.decode(c)) }));
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]).catch(() => {});
  let exited = false;
  void child.status.then(() => (exited = true));

  const stop = async () => {
    const left = descendants(child.pid);
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 30_000);
    await child.status;
    clearTimeout(timer);
    await drained;
    // Whatever of it outlived it (it was killed outright) goes by pid.
    for (const pid of left) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  };

  const base = `http://127.0.0.1:${api}/functions/v1`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`npm start did not come up:\n${output.slice(-4000)}`);
    }
    try {
      const res = await fetch(`${base}/api/health`);
      const health = await res.json();
      // The relay and scheduler start after the functions answer: wait for them too.
      if (res.status === 200 && health.status === "ok" && descendants(child.pid).length >= 4) {
        break;
      }
    } catch { /* not up yet */ }
    await sleep(250);
  }
  const saved = await readEnvFile(`${stateDir}/env`);
  return { env: saved, base, pid: child.pid, stop };
}
