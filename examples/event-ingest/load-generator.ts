/**
 * A load generator for `POST /api/events`: `clients` concurrent clients post batches of services'
 * log events on a fixed schedule that adds up to `rate` events/s for `seconds`. A batch that is
 * refused (429, 5xx, a dropped connection) is sent again with the same dedup keys, so it can
 * neither be lost nor stored twice. Every event is counted once, when a 202 acknowledges it.
 */
import { parseArgs } from "node:util";
import { summarize } from "../../bench/stats.ts";
import { readEnvFile } from "../../local/envfile.ts";
import { exampleTenant } from "../_shared/tenant.ts";
import { sleep } from "../../functions/_shared/clock.ts";

/** Services and their share of the traffic, in percent. */
export const services = [
  { name: "search", share: 40 },
  { name: "checkout", share: 25 },
  { name: "auth", share: 15 },
  { name: "payments", share: 12 },
  { name: "inventory", share: 8 },
] as const;

const levels = ["info", "info", "info", "info", "info", "info", "warn", "info", "debug", "error"];
/** Consecutive log lines of one request share its entity, as a request's lines do. */
const LINES_PER_REQUEST = 4;
/** A batch still refused after this many sends fails the run rather than retrying forever. */
const MAX_SENDS = 20;

function serviceOf(n: number): string {
  let slot = n % 100;
  for (const s of services) {
    if (slot < s.share) return s.name;
    slot -= s.share;
  }
  return services[0].name;
}

/** Event `n` of run `runId`: type `<service>.log`, keyed by the request it belongs to. */
export function logEvent(runId: string, n: number, dedup = true) {
  const request = Math.floor(n / LINES_PER_REQUEST);
  const service = serviceOf(request);
  return {
    type: `${service}.log`,
    entity: { type: "request", id: `${runId}-${request}` },
    ...(dedup ? { dedupKey: `${runId}:${n}` } : {}),
    data: {
      level: levels[n % levels.length],
      message: `${service} handled ${n % 7 ? "GET" : "POST"} /v1/${service}`,
      durationMs: (n * 37) % 900,
    },
    metadata: { service, run: runId },
  };
}

export interface LoadOptions {
  /** `http://127.0.0.1:<port>/functions/v1` */
  base: string;
  key: string;
  rate: number;
  seconds: number;
  clients: number;
  batch?: number;
  runId?: string;
  /** Without dedup keys a batch resent after a dropped connection may be stored twice. Default true. */
  dedup?: boolean;
}

export interface LoadResult {
  runId: string;
  /** Events acknowledged with 202 (each counted once). */
  accepted: number;
  /** Of those, answered as duplicates: sent again after an answer that never arrived. */
  duplicates: number;
  /** Batches sent again after a refusal or a dropped connection. */
  retries: number;
  elapsedSeconds: number;
  eventsPerSecond: number;
  /** Per request, in ms. */
  latency: ReturnType<typeof summarize>;
}

export async function generateLoad(opts: LoadOptions): Promise<LoadResult> {
  const batch = opts.batch ?? 100;
  const runId = opts.runId ?? `run${Date.now().toString(36)}`;
  const batches = Math.round((opts.rate * opts.seconds) / batch);
  const intervalMs = (1000 * batch) / opts.rate;
  const url = `${opts.base}/api/events`;
  const headers = { authorization: `Bearer ${opts.key}`, "content-type": "application/json" };
  const latencies: number[] = [];
  const result = { accepted: 0, duplicates: 0, retries: 0 };
  let next = 0;

  const send = async (k: number) => {
    const body = JSON.stringify(
      Array.from({ length: batch }, (_, i) => logEvent(runId, k * batch + i, opts.dedup ?? true)),
    );
    for (let attempt = 0;; attempt++) {
      const t = performance.now();
      try {
        const res = await fetch(url, { method: "POST", headers, body });
        if (res.status === 202) {
          const { accepted } = await res.json() as { accepted: { duplicate: boolean }[] };
          latencies.push(performance.now() - t);
          result.accepted += accepted.length;
          result.duplicates += accepted.filter((a) => a.duplicate).length;
          return;
        }
        if (res.status !== 429 && res.status < 500) {
          throw new Error(`batch ${k}: ${res.status} ${await res.text()}`);
        }
        await res.body?.cancel();
        await sleep(
          Number(res.headers.get("retry-after") ?? 0) * 1000 || 100 * 2 ** Math.min(attempt, 5),
        );
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
        await sleep(100 * 2 ** Math.min(attempt, 5));
      }
      if (attempt + 1 >= MAX_SENDS) {
        throw new Error(`batch ${k}: still refused after ${MAX_SENDS} sends`);
      }
      result.retries++;
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: opts.clients }, async () => {
    for (let k = next++; k < batches; k = next++) {
      await sleep(started + k * intervalMs - performance.now());
      await send(k);
    }
  }));
  const elapsedSeconds = (performance.now() - started) / 1000;
  return {
    runId,
    ...result,
    elapsedSeconds,
    eventsPerSecond: result.accepted / elapsedSeconds,
    latency: summarize(latencies),
  };
}

/** `npx deno run -A examples/event-ingest/load-generator.ts [--rate 5000] [--seconds 10] [--clients 16]` against `npm start`. */
if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { rate: { type: "string" }, seconds: { type: "string" }, clients: { type: "string" } },
  });
  const stateDir = Deno.env.get("SWITCHYARD_STATE_DIR") ??
    new URL("../../.switchyard", import.meta.url).pathname;
  const env = { ...await readEnvFile(`${stateDir}/env`), ...Deno.env.toObject() };
  const { base, key } = await exampleTenant(env, "ingest", "Example event ingest");
  const r = await generateLoad({
    base,
    key,
    rate: Number(values.rate ?? 5_000),
    seconds: Number(values.seconds ?? 10),
    clients: Number(values.clients ?? 16),
  });
  console.log(
    `${r.accepted} events accepted in ${r.elapsedSeconds.toFixed(1)} s: ${
      Math.round(r.eventsPerSecond)
    } events/s, ` +
      `request p50 ${r.latency.p50.toFixed(1)} ms, p99 ${
        r.latency.p99.toFixed(1)
      } ms, ${r.retries} retries (run ${r.runId})`,
  );
}
