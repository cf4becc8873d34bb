/** A `redis-server` child on 127.0.0.1, keeping nothing on disk unless a folder is given. */
import { type Child, spawn, stopOrphan } from "./process.ts";
import { waitForPort } from "./ports.ts";

export function redisServerPath(): string | undefined {
  for (
    const dir of (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/bin", "/usr/local/bin"])
  ) {
    try {
      if (Deno.statSync(`${dir}/redis-server`).isFile) return `${dir}/redis-server`;
    } catch { /* not here */ }
  }
  return undefined;
}

export interface RedisServer {
  port: number;
  url: string;
  child: Child;
  stop(): Promise<void>;
}

export async function startRedis(
  opts: { port: number; dir?: string; logFile?: string },
): Promise<RedisServer> {
  const bin = redisServerPath();
  if (!bin) throw new Error("redis-server is not installed");
  const args = [
    "--port",
    String(opts.port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--protected-mode",
    "no",
  ];
  if (opts.dir) {
    await Deno.mkdir(opts.dir, { recursive: true });
    await stopOrphan(`${opts.dir}/redis.pid`, "redis-server");
    args.push("--dir", opts.dir, "--appendonly", "yes", "--pidfile", `${opts.dir}/redis.pid`);
  } else {
    args.push("--appendonly", "no");
  }
  const child = await spawn("redis", bin, { args, output: opts.logFile ?? "null" });
  await waitForPort(opts.port, 20_000);
  return {
    port: opts.port,
    url: `redis://127.0.0.1:${opts.port}`,
    child,
    stop: () => child.stop("SIGTERM"),
  };
}
