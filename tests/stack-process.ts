/** A whole stack started the way `npm start` starts it (own state folder and ports), for tests that try it from outside. */
import { freePorts } from "../local/ports.ts";
import { readEnvFile } from "../local/envfile.ts";
import { sleep } from "../functions/_shared/clock.ts";

const root = new URL("..", import.meta.url).pathname;

export interface StackProcess {
  child: Deno.ChildProcess;
  env: Record<string, string>;
  base: string;
  output(): string;
  /** Every process below `npm start`, with its command line. */
  processes(): { pid: number; cmd: string }[];
  stop(): Promise<void>;
}

/**
 * Boots `local/start.ts` (with `args`, e.g. `--example bank`) in a fresh state folder and waits for
 * /api/health to say ok (`timeoutMs`, default 60 s).
 */
export async function bootStack(
  extraEnv: Record<string, string> = {},
  { args = [], timeoutMs = 60_000 }: { args?: string[]; timeoutMs?: number } = {},
): Promise<StackProcess> {
  const stateDir = await Deno.makeTempDir({ prefix: "switchyard-stack-" });
  await Deno.chmod(stateDir, 0o755);
  const [port, dbPort, bridgePort] = freePorts(3);
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
    SWITCHYARD_PORT: String(port),
    SWITCHYARD_DB_PORT: String(dbPort),
    SWITCHYARD_BRIDGE_PORT: String(bridgePort),
    LOG_LEVEL: "warn",
    ...extraEnv,
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "local/start.ts", ...args],
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
  const base = `http://127.0.0.1:${port}/functions/v1`;
  const processes = () => {
    const ps = new TextDecoder().decode(
      new Deno.Command("ps", { args: ["-e", "-o", "pid=,ppid=,args="] }).outputSync().stdout,
    );
    const rows = ps.trim().split("\n").map((l) => {
      const [pid, ppid, ...cmd] = l.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), cmd: cmd.join(" ") };
    });
    const out: { pid: number; cmd: string }[] = [];
    const walk = (p: number) => {
      for (const r of rows.filter((r) => r.ppid === p)) {
        out.push({ pid: r.pid, cmd: r.cmd });
        walk(r.pid);
      }
    };
    walk(child.pid);
    return out;
  };
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await drained;
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  };
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      const res = await fetch(`${base}/api/health`);
      const health = await res.json();
      if (res.status === 200 && health.status === "ok") {
        return {
          child,
          env: { ...env, ...await readEnvFile(`${stateDir}/env`) },
          base,
          output: () => output,
          processes,
          stop,
        };
      }
    } catch { /* not up yet */ }
    await sleep(250);
  }
  await stop();
  throw new Error(`the stack did not become healthy within ${timeoutMs / 1000} s:\n${output}`);
}
