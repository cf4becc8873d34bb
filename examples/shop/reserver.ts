/**
 * The stock reserver: a Switchyard consumer of `order.created` that reserves stock or refuses the
 * order. Safe to run twice and on several instances at once: a processed key per event in the fast
 * store (24 h, `set nx`) and a lock per order (@upstash/lock behind the fast store) around the work.
 * The SQL itself only ever decides a PENDING order, so even a forgotten key cannot reserve twice.
 */
import { Hono } from "hono";
import type { Sql } from "../../functions/_shared/db.ts";
import type { FastStore, LockHandle } from "../../functions/_shared/store/store.ts";
import { type Envelope, verifyWebhook } from "./webhook.ts";
import { serveLocal } from "../_shared/local.ts";
import { sleep } from "../../functions/_shared/clock.ts";

const PROCESSED_TTL_MS = 24 * 3_600_000;
const LOCK_LEASE_MS = 10_000;

export type Outcome =
  | { kind: "processed"; status: string }
  | { kind: "duplicate" }
  | { kind: "busy" };

export interface ReserverDeps {
  name: string;
  sql: Sql;
  store: FastStore;
  /** How long to wait for another instance's lock on the same order before asking for a retry. */
  lockWaitMs?: number;
}

/** Reserves stock for the order of `event` unless this event was already processed (here or elsewhere). */
async function reserveOnce(deps: ReserverDeps, event: Envelope): Promise<Outcome> {
  const processedKey = `${event.tenant}:shop:processed:${event.id}`;
  if (await deps.store.get(processedKey) !== null) return { kind: "duplicate" };
  const lock = await acquire(
    deps.store,
    `${event.tenant}:shop:order-lock:${event.entity.id}`,
    deps.lockWaitMs ?? 3_000,
  );
  if (!lock) return { kind: "busy" };
  try {
    // Checked again under the lock: another instance may have finished while we waited for it.
    if (await deps.store.get(processedKey) !== null) return { kind: "duplicate" };
    const [order] = await deps.sql<{ status: string }[]>`
      select status from shop.reserve_stock(${event.tenant}, ${event.entity.id})`;
    await deps.store.set(processedKey, { by: deps.name, status: order.status }, {
      nx: true,
      ttlMs: PROCESSED_TTL_MS,
    });
    return { kind: "processed", status: order.status };
  } finally {
    await lock.release();
  }
}

async function acquire(store: FastStore, key: string, waitMs: number): Promise<LockHandle | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lock = await store.lock(key, LOCK_LEASE_MS);
    if (lock || Date.now() >= deadline) return lock;
    await sleep(25);
  }
}

export interface Reserver {
  name: string;
  url: string;
  stats: Record<"received" | "processed" | "duplicate" | "busy" | "refused", number>;
  trust(secret: string): void;
  stop(): Promise<void>;
}

export function startReserver(deps: ReserverDeps & { port: number }): Reserver {
  let secret = "";
  const stats = { received: 0, processed: 0, duplicate: 0, busy: 0, refused: 0 };
  const app = new Hono();
  app.post("/events", async (c) => {
    const v = await verifyWebhook(c.req.raw, secret);
    if (!v.ok) {
      stats.refused++;
      return c.json({ error: v.reason }, 401);
    }
    stats.received++;
    if (v.event.type !== "order.created") return c.json({ ignored: v.event.type });
    const outcome = await reserveOnce(deps, v.event);
    stats[outcome.kind]++;
    // Busy: Switchyard retries the delivery later; by then the processed key answers.
    if (outcome.kind === "busy") return c.json(outcome, 503, { "retry-after": "1" });
    return c.json(outcome);
  });
  app.get("/stats", (c) => c.json({ name: deps.name, ...stats }));
  const server = serveLocal(app, deps.port);
  return {
    name: deps.name,
    url: server.url,
    stats,
    trust: (s) => void (secret = s),
    stop: server.stop,
  };
}
