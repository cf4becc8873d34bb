/**
 * HTTP load for the benchmarks: wrk (with a Lua script cycling through prepared bodies) when it is
 * on PATH, else the same closed loop of connections from Deno's fetch, which is heavier on the
 * client, so its figures are a floor. Both report requests/s and latency percentiles.
 */
import { summarize } from "../stats.ts";

export interface LoadOptions {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** Bodies sent in turn (POST); each connection starts at its own offset. */
  bodies?: string[];
  /** Paths (with query) sent in turn instead of the URL's own. */
  paths?: string[];
  connections: number;
  seconds: number;
}

export interface LoadResult {
  tool: "wrk" | "fetch";
  requests: number;
  perSecond: number;
  /** Answers that were not 2xx/3xx, plus socket errors. */
  failed: number;
  p50: number;
  p99: number;
}

export function onPath(tool: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${tool}`).isFile) return true;
    } catch { /* not here */ }
  }
  return false;
}

const LUA = `
local function lines(path)
  local out = {}
  local f = path and io.open(path, "r")
  if f then
    for line in f:lines() do out[#out + 1] = line end
    f:close()
  end
  return out
end
local bodies = lines(os.getenv("BENCH_BODIES"))
local paths = lines(os.getenv("BENCH_PATHS"))
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end
local i = 0
function request()
  i = i + 1
  local n = (offset or 0) + i
  local path = nil
  if #paths > 0 then path = paths[n % #paths + 1] end
  local body = nil
  if #bodies > 0 then body = bodies[n % #bodies + 1] end
  return wrk.format(nil, path, nil, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nBENCH_JSON {"requests":%d,"us":%d,"failed":%d,"p50":%f,"p99":%f}\\n',
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
`;

export async function load(opts: LoadOptions): Promise<LoadResult> {
  return onPath("wrk") ? await wrk(opts) : await fetchLoad(opts);
}

async function wrk(opts: LoadOptions): Promise<LoadResult> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-bench-wrk-" });
  try {
    const method = opts.method ?? (opts.bodies?.length ? "POST" : "GET");
    await Deno.writeTextFile(`${dir}/load.lua`, `wrk.method = "${method}"\n${LUA}`);
    await Deno.writeTextFile(`${dir}/bodies`, (opts.bodies ?? []).join("\n") + "\n");
    await Deno.writeTextFile(`${dir}/paths`, (opts.paths ?? []).join("\n") + "\n");
    const args = [
      "-t",
      String(Math.min(2, opts.connections)),
      "-c",
      String(opts.connections),
      "-d",
      `${opts.seconds}s`,
      "--timeout",
      "10s",
      "-s",
      `${dir}/load.lua`,
    ];
    const headers = { ...opts.headers };
    for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
    args.push(opts.url);
    const env = {
      BENCH_BODIES: opts.bodies?.length ? `${dir}/bodies` : "",
      BENCH_PATHS: opts.paths?.length ? `${dir}/paths` : "",
    };
    const out = await new Deno.Command("wrk", { args, env, stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout);
    const line = text.split("\n").find((l) => l.startsWith("BENCH_JSON "));
    if (!out.success || !line) {
      throw new Error(`wrk failed: ${text}${new TextDecoder().decode(out.stderr)}`);
    }
    const r = JSON.parse(line.slice("BENCH_JSON ".length));
    return {
      tool: "wrk",
      requests: r.requests,
      perSecond: r.requests / (r.us / 1e6),
      failed: r.failed,
      p50: r.p50,
      p99: r.p99,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function fetchLoad(opts: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  const method = opts.method ?? (opts.bodies?.length ? "POST" : "GET");
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  await Promise.all(Array.from({ length: opts.connections }, async (_, c) => {
    let i = c * 7919;
    while (performance.now() < deadline) {
      const n = i++;
      const body = opts.bodies?.length ? opts.bodies[n % opts.bodies.length] : undefined;
      const url = opts.paths?.length
        ? new URL(opts.paths[n % opts.paths.length], opts.url)
        : opts.url;
      const t = performance.now();
      try {
        const res = await fetch(url, { method, headers: opts.headers, body });
        await res.body?.cancel();
        if (res.status >= 400) failed++;
      } catch {
        failed++;
      }
      latencies.push(performance.now() - t);
    }
  }));
  const s = summarize(latencies);
  return {
    tool: "fetch",
    requests: s.n,
    perSecond: s.n / ((performance.now() - started) / 1000),
    failed,
    p50: s.p50,
    p99: s.p99,
  };
}
