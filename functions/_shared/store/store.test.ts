/** One suite, both adapters: the in-process store and Upstash (bridge + throw-away redis-server). */
import assert from "node:assert/strict";
import { freePort } from "../../../local/ports.ts";
import { startRedis } from "../../../local/redis.ts";
import { startBridge } from "../../../local/bridge.ts";
import { createStore } from "./create.ts";
import { MemoryStore } from "./memory.ts";
import type { FastStore } from "./store.ts";
import { UpstashStore } from "./upstash.ts";

interface Harness {
  store: FastStore;
  /** Lets `ms` of store time pass: a fake clock for memory, real sleep for Redis. */
  advance(ms: number): Promise<void>;
}

type Case = (h: Harness, key: (name: string) => string) => Promise<void>;

const cases: Record<string, Case> = {
  "values round-trip as JSON, strings stay strings, missing keys are null": async (
    { store },
    key,
  ) => {
    await store.set(key("s"), "123");
    await store.set(key("o"), { a: [1, "x", null], b: { c: true } });
    assert.equal(await store.get(key("s")), "123");
    assert.deepEqual(await store.get(key("o")), { a: [1, "x", null], b: { c: true } });
    assert.equal(await store.get(key("missing")), null);
  },

  "a key set with a TTL is gone after it, one without stays": async ({ store, advance }, key) => {
    await store.set(key("short"), "v", { ttlMs: 150 });
    await store.set(key("long"), "v");
    assert.equal(await store.get(key("short")), "v");
    await advance(400);
    assert.equal(await store.get(key("short")), null);
    assert.equal(await store.get(key("long")), "v");
  },

  "set with nx never overwrites an existing key": async ({ store }, key) => {
    assert.equal(await store.set(key("k"), 1, { nx: true }), true);
    assert.equal(await store.set(key("k"), 2, { nx: true }), false);
    assert.equal(await store.get(key("k")), 1);
  },

  "mget answers many keys in order, null for missing": async ({ store }, key) => {
    await store.set(key("a"), { n: 1 });
    await store.set(key("c"), "three");
    assert.deepEqual(await store.mget([key("a"), key("b"), key("c")]), [{ n: 1 }, null, "three"]);
    assert.deepEqual(await store.mget([]), []);
  },

  "del removes keys and counts those that existed": async ({ store }, key) => {
    await store.set(key("a"), 1);
    await store.set(key("b"), 2);
    assert.equal(await store.del(key("a"), key("b"), key("never")), 2);
    assert.deepEqual(await store.mget([key("a"), key("b")]), [null, null]);
    assert.equal(await store.del(), 0);
  },

  "incr counts from zero and its TTL is set once, not extended": async (
    { store, advance },
    key,
  ) => {
    assert.equal(await store.incr(key("n")), 1);
    assert.equal(await store.incr(key("n"), 5), 6);
    assert.equal(await store.get(key("n")), 6);
    assert.equal(await store.incr(key("t"), 1, 400), 1);
    await advance(200);
    assert.equal(await store.incr(key("t"), 1, 400), 2);
    await advance(350);
    assert.equal(await store.get(key("t")), null);
    assert.equal(await store.incr(key("t"), 1, 400), 1);
  },

  "a stale setIfNewer never replaces a newer version": async ({ store }, key) => {
    assert.equal(await store.getVersioned(key("d")), null);
    assert.equal(await store.setIfNewer(key("d"), 2, { state: "b" }), true);
    assert.equal(await store.setIfNewer(key("d"), 1, { state: "a" }), false);
    assert.equal(await store.setIfNewer(key("d"), 2, { state: "again" }), false);
    assert.deepEqual(await store.getVersioned(key("d")), { version: 2, value: { state: "b" } });
    assert.equal(await store.setIfNewer(key("d"), 3, { state: "c" }), true);
    assert.deepEqual(await store.get(key("d")), { version: 3, value: { state: "c" } });
  },

  "concurrent setIfNewer writers converge on the highest version": async ({ store }, key) => {
    const versions = Array.from({ length: 60 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const wrote = await Promise.all(versions.map((v) => store.setIfNewer(key("d"), v, `v${v}`)));
    assert.ok(wrote.some(Boolean));
    assert.equal(wrote[versions.indexOf(60)], true);
    assert.deepEqual(await store.getVersioned(key("d")), { version: 60, value: "v60" });
  },

  "setIfNewer honours its TTL": async ({ store, advance }, key) => {
    assert.equal(await store.setIfNewer(key("d"), 5, "x", 150), true);
    await advance(400);
    assert.equal(await store.getVersioned(key("d")), null);
    assert.equal(await store.setIfNewer(key("d"), 1, "after expiry"), true);
  },

  "a lock is exclusive until released or expired, and only its holder releases it": async (
    { store, advance },
    key,
  ) => {
    const first = await store.lock(key("l"), 300);
    assert.ok(first);
    assert.equal(await store.lock(key("l"), 300), null);
    assert.equal(await first.release(), true);
    const second = await store.lock(key("l"), 300);
    assert.ok(second);
    await advance(450);
    const third = await store.lock(key("l"), 5_000);
    assert.ok(third, "an expired lock can be taken");
    assert.equal(
      await second.release(),
      false,
      "a stale holder cannot release the new holder's lock",
    );
    assert.equal(await store.lock(key("l"), 300), null);
    assert.equal(await third.release(), true);
  },

  "rateLimit allows `limit` hits per window, then refuses": async ({ store }, key) => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await store.rateLimit(key("client"), 3, 10_000));
    assert.deepEqual(results.map((r) => r.success), [true, true, true, false, false]);
    assert.deepEqual(results.map((r) => r.remaining), [2, 1, 0, 0, 0]);
    assert.ok(results[4].resetMs > Date.now() - 1_000);
    assert.equal((await store.rateLimit(key("other"), 3, 10_000)).success, true);
  },

  "rateLimit has room again once the window has passed": async ({ store, advance }, key) => {
    assert.equal((await store.rateLimit(key("c"), 1, 300)).success, true);
    assert.equal((await store.rateLimit(key("c"), 1, 300)).success, false);
    await advance(700);
    assert.equal((await store.rateLimit(key("c"), 1, 300)).success, true);
  },

  "ping answers": async ({ store }) => {
    assert.equal(await store.ping(), true);
  },
};

async function runCases(t: Deno.TestContext, h: Harness) {
  for (const [name, fn] of Object.entries(cases)) {
    const prefix = `test:${crypto.randomUUID()}:`;
    await t.step(name, () => fn(h, (k) => prefix + k));
  }
}

Deno.test("memory store", async (t) => {
  let now = Date.now();
  const store = new MemoryStore({ now: () => now });
  assert.equal(store.kind, "memory");
  assert.equal(store.durable, false);
  await runCases(t, {
    store,
    advance: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  });
});

Deno.test("upstash store against the bridge and a real redis-server", async (t) => {
  const server = await startRedis({ port: freePort() });
  try {
    const bridge = await startBridge({
      port: freePort(),
      redisPort: server.port,
      token: "store-test",
    });
    try {
      const store = new UpstashStore({ url: bridge.url, token: bridge.token });
      assert.equal(store.kind, "upstash");
      assert.equal(store.durable, true);
      await runCases(t, { store, advance: (ms) => new Promise((r) => setTimeout(r, ms)) });
      await t.step("ping is false when the store does not answer", async () => {
        const nowhere = new UpstashStore({ url: bridge.url, token: "wrong-token" });
        assert.equal(await nowhere.ping(), false);
      });
    } finally {
      await bridge.stop();
    }
  } finally {
    await server.stop();
  }
});

Deno.test("createStore picks Upstash for a URL, else memory with a loud warning", () => {
  const warnings: string[] = [];
  const log = { warn: (msg: string) => void warnings.push(msg) };
  const upstash = createStore({ url: "http://127.0.0.1:1", token: "t" }, log);
  assert.equal(upstash.kind, "upstash");
  assert.deepEqual(warnings, []);
  const memory = createStore({}, log);
  assert.equal(memory.kind, "memory");
  assert.equal(memory.durable, false);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /not durable/);
  assert.throws(() => createStore({ url: "http://127.0.0.1:1" }, log), /TOKEN/);
});
