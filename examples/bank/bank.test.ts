/**
 * The bank example end to end: the stack with a relay and a scheduler as child processes, the
 * example loaded as `npm start -- --example bank` does, DTOs read through the API, a gap repaired
 * by the conciliator, and Redis stopped while reads go on.
 */
import assert from "node:assert/strict";
import { client, startStack } from "../../tests/harness.ts";
import { relayEnv, startRelay } from "../../tests/relay-support.ts";
import { fromSource } from "../../tests/dto-fixtures.ts";
import { freePort } from "../../local/ports.ts";
import { startRedis } from "../../local/redis.ts";
import { startBridge } from "../../local/bridge.ts";
import { spawn } from "../../local/process.ts";
import { createLogger } from "../../functions/_shared/log.ts";
import { STORE_TIMEOUT_MS } from "../../functions/_shared/dtos/fast-store.ts";
import customerPosition from "./dtos/customer-position.ts";
import customerProfile from "./dtos/customer-profile.ts";
import { exampleTenant } from "../_shared/tenant.ts";
import { customers } from "./seed.ts";
import { load, TENANT } from "./load.ts";
import { waitUntil } from "../../tests/wait.ts";
import { sleep } from "../../functions/_shared/clock.ts";

const root = new URL("../..", import.meta.url).pathname;

Deno.test({
  name:
    "bank: DTOs equal the source through the API, a gap ends dto.failed → dto.conciliated, reads go on without Redis",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "switchyard-bank-" });
    const redisPort = freePort();
    // Its own Redis, kept on disk, so it can be stopped and come back with what it had.
    let redis = await startRedis({ port: redisPort, dir: `${dir}/redis` });
    const bridge = await startBridge({ port: freePort(), redisPort, token: "bank-test" });
    const stack = await startStack({
      example: "bank",
      env: { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token },
    });
    const env = { ...stack.env, SWITCHYARD_STATE_DIR: dir };
    const relay = startRelay(relayEnv(stack.db.url, stack.env.SUPABASE_URL, stack.db.name));
    const scheduler = await spawn("scheduler", Deno.execPath(), {
      args: ["run", "-A", "--no-check", `${root}workers/scheduler/main.ts`],
      env: { PATH: Deno.env.get("PATH") ?? "", ...env },
      output: "null",
    });
    try {
      const { sql } = stack.db;
      await relay.waitForLog(/"streaming"/);
      await load({ env, log: createLogger("example", { level: "error" }) });
      await load({ env, log: createLogger("example", { level: "error" }) });
      const { key } = await exampleTenant(env, TENANT, "Example bank");
      const api = client(`${stack.base}/api`, key);

      // 1. The relay composes every DTO; reads through the API equal the source query.
      const composed = async () => {
        const [{ n }] = await sql<{ n: number }[]>`
          select count(*)::int as n from switchyard.dto_snapshots where tenant = ${TENANT}`;
        return n === customers.length * 2;
      };
      await waitUntil("both DTOs of every customer composed by the relay", composed, 20_000);
      for (const def of [customerPosition, customerProfile]) {
        for (const { customer_id } of customers) {
          const res = await api("GET", `/dto/${def.name}/${customer_id}`);
          assert.equal(res.status, 200, res.text);
          assert.equal(res.headers.get("x-switchyard-source"), "primary");
          assert.deepEqual(
            res.json.data,
            await fromSource(sql, def, TENANT, customer_id),
            `${def.name} ${customer_id}`,
          );
        }
      }
      const [{ n: captured }] = await sql<
        { n: number }[]
      >`select count(*)::int as n from switchyard.events where tenant = ${TENANT} and type not like 'dto.%'`;
      assert.equal(captured, 3 + 6 + 6, "a second load wrote nothing new");

      // 2. A version handed out whose event never reached the log: the next balance change jumps over it.
      await sql`update switchyard.entity_versions set version = version + 1
        where tenant = ${TENANT} and entity_type = 'balance' and entity_id = 'cust-001-eur'`;
      await sql`update bank.balances set available = 1000.01, updated_at = now() where tenant_id = ${TENANT} and account_id = 'cust-001-eur'`;
      const hops = async () => {
        const trace = await api("GET", "/trace/customer/cust-001?limit=1000");
        return (trace.json.items as {
          id: string;
          type: string;
          causationId: string | null;
          data: Record<string, unknown>;
        }[])
          .filter((e) =>
            e.data.dtoType === "customer_position" &&
            (e.type === "dto.failed" || e.type === "dto.conciliated")
          );
      };
      await waitUntil(
        "dto.conciliated on the customer's timeline",
        async () => (await hops()).some((e) => e.type === "dto.conciliated"),
        20_000,
      );
      const [failed, conciliated] = await hops();
      assert.equal(failed.type, "dto.failed");
      assert.equal(failed.data.reason, "gap");
      assert.equal(conciliated.type, "dto.conciliated");
      assert.equal(conciliated.causationId, failed.id, "dto.conciliated answers the dto.failed");
      const repaired = await api("GET", "/dto/customer_position/cust-001");
      assert.deepEqual(
        repaired.json.data,
        await fromSource(sql, customerPosition, TENANT, "cust-001"),
      );
      assert.equal(repaired.json.data.totals.EUR.available, 1000.01);

      // 3. Redis goes away while a reader keeps reading; a balance changes meanwhile.
      const reads: {
        status: number;
        source: string | null;
        ms: number;
        available: number;
        breaker: string;
      }[] = [];
      let reading = true;
      const reader = (async () => {
        while (reading) {
          const breaker = stack.ctx.breakers.store.state;
          const started = performance.now();
          const res = await api("GET", "/dto/customer_position/cust-002");
          reads.push({
            status: res.status,
            source: res.headers.get("x-switchyard-source"),
            ms: performance.now() - started,
            available: res.json?.data?.totals?.EUR?.available,
            breaker,
          });
          await sleep(10);
        }
      })();
      await sleep(300);
      const before = reads.length;
      await redis.stop();
      await sql`update bank.balances set available = 9000, ledger = 9000 where tenant_id = ${TENANT} and account_id = 'cust-002-eur'`;
      const expectedAvailable = 9000 + 25000 - 420.5;
      await waitUntil(
        "the change read back from the secondary",
        () => reads.at(-1)?.available === expectedAvailable,
        20_000,
      );
      await sleep(2_000);
      reading = false;
      await reader;

      const during = reads.slice(before);
      assert.ok(reads.every((r) => r.status === 200), "every read is answered");
      const open = during.filter((r) => r.breaker === "open");
      assert.ok(open.length > 20, `reads while the breaker is open: ${open.length}`);
      assert.ok(open.every((r) => r.source === "secondary"), "with Redis gone, Postgres answers");
      const worst = Math.max(...open.map((r) => r.ms));
      const slowest = Math.max(...during.map((r) => r.ms));
      console.log(
        `Redis down: ${during.length} reads, ${open.length} with the breaker open (worst ${
          worst.toFixed(1)
        } ms), slowest overall ${slowest.toFixed(1)} ms`,
      );
      assert.ok(
        worst < STORE_TIMEOUT_MS / 2,
        `no read waits for the store once the breaker is open (worst ${worst} ms)`,
      );
      assert.ok(
        slowest <= STORE_TIMEOUT_MS + 250,
        `no read waits longer than one store timeout (${slowest} ms)`,
      );

      // 4. Redis returns with the old DTO; the scheduler's deferred conciliation replaces it.
      redis = await startRedis({ port: redisPort, dir: `${dir}/redis` });
      const expected = await fromSource(sql, customerPosition, TENANT, "cust-002");
      await waitUntil("the primary healed with the new position", async () => {
        const res = await api("GET", "/dto/customer_position/cust-002");
        return res.headers.get("x-switchyard-source") === "primary" &&
          res.json.data.totals.EUR.available === expectedAvailable;
      }, 60_000);
      assert.deepEqual((await api("GET", "/dto/customer_position/cust-002")).json.data, expected);
    } finally {
      await relay.kill();
      await scheduler.stop();
      await stack.close();
      await bridge.stop();
      await redis.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
