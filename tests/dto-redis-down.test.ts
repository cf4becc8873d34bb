/** Losing Redis loses speed, never data: reads fall back to Postgres, fast, and the primary heals. */
import assert from "node:assert/strict";
import { client, seedTenant, startStack } from "./harness.ts";
import { fromSource, relay, seedBank } from "./dto-fixtures.ts";
import { freePort } from "../local/ports.ts";
import { startRedis } from "../local/redis.ts";
import { startBridge } from "../local/bridge.ts";
import { primaryKey, STORE_TIMEOUT_MS } from "../functions/_shared/dtos/fast-store.ts";
import { conciliateDue } from "../functions/_shared/dtos/conciliator.ts";
import customerPosition from "../examples/bank/dtos/customer-position.ts";
import { readSnapshot } from "../functions/_shared/dtos/persistent-store.ts";
import { waitUntil } from "./wait.ts";
import { sleep } from "../functions/_shared/clock.ts";

Deno.test({
  name:
    "Redis stopped mid-run: reads answer from Postgres without a per-request timeout, and the primary is correct once Redis returns",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "switchyard-redis-" });
    const redisPort = freePort();
    let redis = await startRedis({ port: redisPort, dir });
    const bridge = await startBridge({ port: freePort(), redisPort, token: "down-test" });
    let offset = 0;
    const clock = {
      now: () => Date.now() + offset,
      sleep,
    };
    const stack = await startStack({
      example: "bank",
      clock,
      env: { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token },
    });
    try {
      const { sql } = stack.db;
      const { slug, key } = await seedTenant(sql);
      const api = client(`${stack.base}/api`, key);
      await seedBank(sql, slug, { customers: 1, accounts: 1 });
      const pump = relay(stack.ctx, slug);
      await pump();
      assert.equal(
        (await api("GET", "/dto/customer_position/c1")).headers.get("x-switchyard-source"),
        "primary",
      );

      await redis.stop();
      await sql`update bank.balances set available = 777, ledger = 777 where tenant_id = ${slug}`;
      const composed = await pump();
      assert.equal(composed.writes, 1, "the secondary still takes the write");
      assert.equal(composed.failed, 1, "the primary's failure is a dto.failed");

      // Until the breaker opens a read may wait for the store; after that, none does.
      for (let i = 0; i < 10 && stack.ctx.breakers.store.state === "closed"; i++) {
        await api("GET", "/dto/customer_position/c1");
      }
      assert.equal(stack.ctx.breakers.store.state, "open");
      const latencies: number[] = [];
      for (let i = 0; i < 30; i++) {
        const started = performance.now();
        const res = await api("GET", "/dto/customer_position/c1");
        latencies.push(performance.now() - started);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("x-switchyard-source"), "secondary");
        assert.equal(res.json.data.totals.EUR.available, 777);
      }
      const worst = Math.max(...latencies);
      console.log(
        `breaker open: 30 reads from the secondary, worst ${
          worst.toFixed(1)
        } ms (store timeout ${STORE_TIMEOUT_MS} ms)`,
      );
      assert.ok(
        worst < STORE_TIMEOUT_MS / 2,
        `worst read ${worst} ms must be well under the store timeout`,
      );

      // Redis comes back with what it had: a stale primary, which the deferred conciliation replaces.
      redis = await startRedis({ port: redisPort, dir });
      const ref = { tenant: slug, type: "customer_position", key: "c1" };
      offset += 60_000;
      await api("GET", "/dto/customer_position/c1");
      const breaker = stack.ctx.breakers.store as { state: string };
      await waitUntil(
        "the breaker's probe to find Redis again",
        () => breaker.state === "closed",
        1_000,
      );
      assert.equal(breaker.state, "closed", "the breaker's probe found Redis again");
      // Every store call goes through the breaker, so the stale value is read once it has closed.
      const stale = await stack.ctx.store.getVersioned<
        { data: { totals: { EUR: { available: number } } } }
      >(primaryKey(ref));
      assert.equal(stale?.value.data.totals.EUR.available, 100, "Redis returned with the old DTO");
      const round = await conciliateDue(stack.ctx);
      assert.equal(round.conciliated, 1);

      const res = await api("GET", "/dto/customer_position/c1");
      assert.equal(res.headers.get("x-switchyard-source"), "primary");
      assert.deepEqual(res.json.data, await fromSource(sql, customerPosition, slug, "c1"));
      assert.equal(res.json.version, (await readSnapshot(sql, ref))?.version);
    } finally {
      await stack.close();
      await bridge.stop();
      await redis.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
