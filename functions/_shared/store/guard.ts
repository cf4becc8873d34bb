/**
 * Every fast-store call under one deadline and the fast-store circuit breaker, so a dead or hung
 * Redis costs one short wait per breaker probe and every failure, a timeout included, is counted.
 */
import type { CircuitBreaker } from "../breaker.ts";
import { withDeadline } from "../deadline.ts";
import type { FastStore, LockHandle } from "./store.ts";

/** Well above a healthy round trip (about 1 ms locally, a few on Upstash), well below what a caller should wait. */
export const STORE_DEADLINE_MS = 500;

/** `store` with each call run through `breaker` under `deadlineMs`; `ping()` still never throws. */
export function guardStore(
  store: FastStore,
  breaker: CircuitBreaker,
  deadlineMs = STORE_DEADLINE_MS,
): FastStore {
  const call = <T>(operation: string, fn: () => Promise<T>) =>
    breaker.run(() => withDeadline(fn(), deadlineMs, `fast store ${operation}`));
  return {
    kind: store.kind,
    durable: store.durable,
    get: (key) => call("GET", () => store.get(key)),
    mget: (keys) => call("MGET", () => store.mget(keys)),
    set: (key, value, opts) => call("SET", () => store.set(key, value, opts)),
    del: (...keys) => call("DEL", () => store.del(...keys)),
    incr: (key, by, ttlMs) => call("INCR", () => store.incr(key, by, ttlMs)),
    setIfNewer: (key, version, value, ttlMs) =>
      call("setIfNewer", () => store.setIfNewer(key, version, value, ttlMs)),
    getVersioned: (key) => call("getVersioned", () => store.getVersioned(key)),
    async lock(key, ttlMs): Promise<LockHandle | null> {
      const held = await call("lock", () => store.lock(key, ttlMs));
      return held && { release: () => call("unlock", () => held.release()) };
    },
    rateLimit: (key, limit, windowMs, cost) =>
      call("rateLimit", () => store.rateLimit(key, limit, windowMs, cost)),
    // A false from the store is a failure too: health must not call a store that answers "no" ok.
    ping: () =>
      call("PING", async () => {
        if (!(await store.ping())) throw new Error("fast store did not answer PING");
        return true;
      }).catch(() => false),
  };
}
