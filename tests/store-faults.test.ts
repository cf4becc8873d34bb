/**
 * A hung (SIGSTOP) or killed Redis behind the real bridge: ingest answers within the fast-store
 * deadline and fails open, the breaker opens, and /health answers and says the fast store is down.
 */
import assert from "node:assert/strict";
import { client, seedTenant, startStack } from "./harness.ts";
import { waitUntil } from "./wait.ts";
import { freePort } from "../local/ports.ts";
import { startRedis } from "../local/redis.ts";
import { startBridge } from "../local/bridge.ts";
import { STORE_DEADLINE_MS } from "../functions/_shared/store/guard.ts";

/** @upstash/ratelimit's default timeout: what every ingest waited on a hung Redis before. */
const RATELIMIT_DEFAULT_TIMEOUT_MS = 5_000;

async function redisStack() {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-redis-" });
  const redisPort = freePort();
  const redis = { current: await startRedis({ port: redisPort, dir }) };
  const bridge = await startBridge({ port: freePort(), redisPort, token: "faults-test" });
  const stack = await startStack({
    env: { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token },
  });
  const { slug, key } = await seedTenant(stack.db.sql);
  return {
    get pid() {
      return redis.current.child.process.pid;
    },
    redis,
    redisPort,
    dir,
    stack,
    slug,
    api: client(`${stack.base}/api`, key),
    fastStoreOk: () =>
      waitUntil("health says the fast store is ok again", async () => {
        const b = await (await fetch(`${stack.base}/api/health`)).json();
        return b.checks.fastStore.status === "ok";
      }),
    async close() {
      try {
        Deno.kill(redis.current.child.process.pid, "SIGCONT");
      } catch { /* gone */ }
      await stack.close();
      await bridge.stop();
      await redis.current.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

const event = (id: string) => ({ type: "order.confirmed", entity: { type: "order", id } });

Deno.test({
  name:
    "a hung Redis: ingest answers before the rate limiter's 5 s default, fails open, the breaker opens, and health says the fast store is down",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const s = await redisStack();
    try {
      assert.equal((await s.api("POST", "/events", event("o-0"))).status, 202);
      Deno.kill(s.pid, "SIGSTOP");

      const started = performance.now();
      const first = await s.api("POST", "/events", event("o-1"));
      const firstMs = performance.now() - started;
      assert.equal(first.status, 202, "ingest fails open: the event is accepted");
      assert.ok(
        firstMs < RATELIMIT_DEFAULT_TIMEOUT_MS,
        `answered in ${firstMs.toFixed(0)} ms, before the 5 s default would have`,
      );
      for (let i = 2; i < 10 && s.stack.ctx.breakers.store.state === "closed"; i++) {
        assert.equal((await s.api("POST", "/events", event(`o-${i}`))).status, 202);
      }
      assert.equal(s.stack.ctx.breakers.store.state, "open", "timeouts count against the breaker");
      const [{ n }] = await s.stack.db.sql<{ n: number }[]>`
        select count(*)::int as n from switchyard.events where tenant = ${s.slug}`;
      assert.ok(n >= 3, "events accepted while the store hung are in the log");

      const health = await fetch(`${s.stack.base}/api/health`);
      const body = await health.json();
      assert.equal(body.checks.fastStore.status, "down", JSON.stringify(body.checks.fastStore));
      assert.equal(body.checks.database.status, "ok");
      assert.equal(body.status, "degraded");

      const trace = await s.api("GET", "/trace/order/o-1");
      assert.equal(trace.status, 200, "trace reads from Postgres while the cache hangs");

      Deno.kill(s.pid, "SIGCONT");
      const back = performance.now();
      await s.fastStoreOk();
      console.log(
        `hung Redis: first ingest answered in ${
          firstMs.toFixed(0)
        } ms (deadline ${STORE_DEADLINE_MS} ms); ` +
          `fast store ok again ${(performance.now() - back).toFixed(0)} ms after SIGCONT`,
      );
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name: "a killed Redis: health says the fast store is down on every call, until it is back",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const s = await redisStack();
    try {
      Deno.kill(s.pid, "SIGKILL");
      await s.redis.current.child.process.status;
      for (let i = 0; i < 10; i++) {
        const body = await (await fetch(`${s.stack.base}/api/health`)).json();
        assert.equal(body.checks.fastStore.status, "down", `call ${i}: ${JSON.stringify(body)}`);
      }
      assert.equal((await s.api("POST", "/events", event("o-1"))).status, 202, "ingest fails open");

      s.redis.current = await startRedis({ port: s.redisPort, dir: s.dir });
      const back = performance.now();
      await s.fastStoreOk();
      console.log(
        `killed Redis: fast store ok again ${
          (performance.now() - back).toFixed(0)
        } ms after redis-server was back`,
      );
    } finally {
      await s.close();
    }
  },
});
