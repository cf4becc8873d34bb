/**
 * What the relay tests share: a recording pipeline (what was handed over, by which relay, in what
 * order), relay child processes that can be SIGKILLed, and writers that append events concurrently.
 */
import type { Sql } from "../functions/_shared/db.ts";
import { appendEvents, type NewEvent } from "../functions/_shared/events/append.ts";
import type { LoggedEvent } from "../functions/_shared/events/envelope.ts";
import { freePort } from "../local/ports.ts";
import { seedTenant, SERVICE_KEY, testDatabase, type TestDb } from "./harness.ts";
import { waitUntil } from "./wait.ts";

const root = new URL("..", import.meta.url).pathname;

export interface Recorded {
  relayId: string;
  events: LoggedEvent[];
}

/** A stand-in for the pipeline function that records every batch; `fail` makes it answer 503. */
export function recordingPipeline() {
  const batches: Recorded[] = [];
  const arrivals: { id: string; at: number }[] = [];
  const state = { fail: false };
  const port = freePort();
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    if (new URL(req.url).pathname !== "/functions/v1/pipeline/batch") {
      return new Response("no", { status: 404 });
    }
    if (req.headers.get("authorization") !== `Bearer ${SERVICE_KEY}`) {
      return new Response("no", { status: 401 });
    }
    const body = await req.json() as { events: LoggedEvent[] };
    if (state.fail) return new Response("down", { status: 503 });
    const at = performance.timeOrigin + performance.now();
    batches.push({ relayId: req.headers.get("x-relay-id") ?? "?", events: body.events });
    for (const e of body.events) arrivals.push({ id: e.id, at });
    return Response.json({ routed: 0, composed: body.events.length });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    batches,
    arrivals,
    state,
    seenIds: () => new Set(batches.flatMap((b) => b.events.map((e) => e.id))),
    count: () => batches.reduce((n, b) => n + b.events.length, 0),
    stop: () => server.shutdown(),
  };
}

export function relayEnv(
  databaseUrl: string,
  supabaseUrl: string,
  dbName: string,
  extra: Record<string, string> = {},
) {
  return {
    DATABASE_URL: databaseUrl,
    SUPABASE_URL: supabaseUrl,
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
    RELAY_SLOT: `relay_${dbName}`.toLowerCase().slice(0, 63),
    LOG_LEVEL: "info",
    ...extra,
  };
}

export interface RelayProcess {
  process: Deno.ChildProcess;
  /** Every log line so far. */
  lines: string[];
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** `deno run -A workers/relay/main.ts` with `env`, its output collected. */
export function startRelay(env: Record<string, string>): RelayProcess {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", `${root}workers/relay/main.ts`],
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/tmp", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += decoder.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    }
  };
  void collect(process.stdout);
  void collect(process.stderr);
  return {
    process,
    lines,
    async waitForLog(pattern, timeoutMs = 30_000) {
      await waitUntil(
        `relay log ${pattern}; got:\n${lines.join("\n")}`,
        () => lines.some((l) => pattern.test(l)),
        timeoutMs,
      );
    },
    async kill(signal = "SIGKILL") {
      try {
        process.kill(signal);
      } catch { /* already gone */ }
      return await process.status;
    },
  };
}

/** Appends `total` events in batches of `batch` from `writers` concurrent writers over `entities` entities. */
export async function writeEvents(
  sql: Sql,
  tenant: string,
  opts: { total: number; writers: number; batch: number; entities: number },
) {
  let next = 0;
  const writer = async () => {
    while (next < opts.total) {
      const n = Math.min(opts.batch, opts.total - next);
      next += n;
      const events: NewEvent[] = Array.from({ length: n }, (_, i) => ({
        tenant,
        type: "order.updated",
        entity: { type: "order", id: `o-${Math.floor(Math.random() * opts.entities)}` },
        data: { i },
      }));
      await appendEvents(sql, events);
    }
  };
  await Promise.all(Array.from({ length: opts.writers }, writer));
}

/** Fails unless versions strictly increase per entity in hand-over order, within each relay incarnation. */
export function assertOrderPerIncarnation(batches: Recorded[]) {
  const last = new Map<string, number>();
  const seenIds = new Set<string>();
  for (const b of batches) {
    for (const e of b.events) {
      const key = `${b.relayId}/${e.tenant}/${e.entity.type}/${e.entity.id}`;
      const prev = last.get(key) ?? 0;
      if (e.version <= prev) {
        throw new Error(`${key}: version ${e.version} handed over after ${prev}`);
      }
      last.set(key, e.version);
      const idKey = `${b.relayId}/${e.id}`;
      if (seenIds.has(idKey)) throw new Error(`relay ${b.relayId} handed over ${e.id} twice`);
      seenIds.add(idKey);
    }
  }
}

export interface RelayFixture {
  db: TestDb;
  pipeline: ReturnType<typeof recordingPipeline>;
  env: Record<string, string>;
  slug: string;
  /** The first relay, already streaming. */
  relay: RelayProcess;
  /** Starts another relay on the same database; stopped with the fixture. */
  spawn(): RelayProcess;
}

/** A database, a recording pipeline, a tenant and a streaming relay; everything is stopped afterwards. */
export async function withStreamingRelay(fn: (f: RelayFixture) => Promise<void>) {
  const db = await testDatabase();
  const pipeline = recordingPipeline();
  const env = relayEnv(db.url, pipeline.url, db.name);
  const started: RelayProcess[] = [];
  const spawn = () => {
    const r = startRelay(env);
    started.push(r);
    return r;
  };
  try {
    const relay = spawn();
    const { slug } = await seedTenant(db.sql);
    await relay.waitForLog(/"streaming"/);
    await fn({ db, pipeline, env, slug, relay, spawn });
  } finally {
    for (const r of started) await r.kill();
    await pipeline.stop();
    await db.drop();
  }
}
