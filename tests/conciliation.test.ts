/** Deferred conciliation: retries live in a table, survive a restart, and end exhausted when the source keeps failing. */
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { fromSource, loggedEvents, relay, seedBank, timeline } from "./dto-fixtures.ts";
import { composeDtos } from "../functions/_shared/dtos/composer.ts";
import customerPosition from "../examples/bank/dtos/customer-position.ts";
import { defaultPolicy } from "../functions/_shared/dtos/policy.ts";
import { readSnapshot } from "../functions/_shared/dtos/persistent-store.ts";
import { createConciliationsJob } from "../workers/scheduler/jobs/conciliations.ts";
import { configureConciliations } from "../functions/_shared/pipeline/deliver.ts";
import { createContext } from "../functions/_shared/context.ts";
import { loadConfig } from "../functions/_shared/config.ts";
import { createLogger } from "../functions/_shared/log.ts";
import { loadDtoFolder } from "../functions/_shared/dtos/registry.ts";
import { waitUntil } from "./wait.ts";

Deno.test({
  name:
    "deferred conciliation retries survive a restart and end in dto.conciliation_exhausted while the source keeps failing",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset, sleep: (_ms: number) => Promise.resolve() };
    const stack = await startStack({ clock, example: "bank" });
    const policy = {
      ...defaultPolicy,
      immediateAttempts: 3,
      deferredAttempts: 3,
      deferredBaseMs: 1_000,
      deferredFactor: 4,
    };
    const config = loadConfig(stack.env);
    const restarted = createContext(config, {
      clock,
      log: createLogger("test", { level: "error" }),
      dtos: await loadDtoFolder(config.SWITCHYARD_DTO_DIR),
    });
    try {
      const { sql } = stack.db;
      const { slug } = await seedTenant(sql);
      await seedBank(sql, slug, { customers: 1, accounts: 1 });
      await relay(stack.ctx, slug)();
      configureConciliations(stack.ctx, policy);
      const job = createConciliationsJob();
      let wakes = 0;
      const unlisten = await job.listen!(stack.ctx, () => wakes++);

      const start = (await loggedEvents(sql, slug)).at(-1)!.seq;
      for (let i = 1; i <= 3; i++) {
        await sql`update bank.balances set available = ${i} where tenant_id = ${slug}`;
      }
      await sql`alter table bank.balances rename to balances_gone`;
      const updates = await loggedEvents(sql, slug, start);
      const result = await composeDtos(stack.ctx, [updates[0], updates[2]], { policy });
      assert.equal(result.failed, 1);
      assert.equal(
        result.conciliated,
        0,
        "the source query fails, so the immediate retries do too",
      );

      const row = async () =>
        (await sql`select * from switchyard.dto_conciliations where tenant = ${slug} and key = 'c1'`)[
          0
        ];
      assert.equal((await row()).status, "pending");
      assert.equal((await row()).attempts, 3);
      await waitUntil(
        "a deferred retry waking the scheduler through LISTEN",
        () => wakes > 0,
        1_000,
      );
      await unlisten();

      // The first deferred try is due in 1 s: nothing runs before it.
      const firstDelay = await job.run(stack.ctx);
      assert.ok(
        firstDelay > 0 && firstDelay <= 1_000,
        `sleeps until the next retry (${firstDelay} ms)`,
      );
      offset += firstDelay;
      const secondDelay = await job.run(stack.ctx);
      assert.equal((await row()).attempts, 4);
      assert.ok(secondDelay > 1_000 && secondDelay <= 4_000, `backs off (${secondDelay} ms)`);

      // The scheduler restarts: a fresh process with nothing in memory picks up from the table.
      const afterRestart = createConciliationsJob();
      offset += secondDelay;
      const thirdDelay = await afterRestart.run(restarted);
      assert.equal((await row()).attempts, 5);
      offset += thirdDelay;
      assert.equal(await afterRestart.run(restarted), Infinity, "nothing is left to retry");
      const exhausted = await row();
      assert.equal(exhausted.status, "exhausted");
      assert.equal(exhausted.attempts, 6);
      assert.match(exhausted.last_error, /balances/);

      const hops = (await timeline(sql, slug, "customer", "c1")).filter((e) =>
        e.type === "dto.failed" || e.type === "dto.conciliation_exhausted"
      );
      assert.deepEqual(hops.map((e) => e.type), ["dto.failed", "dto.conciliation_exhausted"]);
      assert.equal(hops[1].causationId, hops[0].id);

      const [{ health }] = await sql`select switchyard.health_conciliations() as health`;
      assert.deepEqual(health, { pending: 0, exhausted: 1 });
      const apiHealth = await client(`${stack.base}/api`, "")("GET", "/health");
      assert.deepEqual(apiHealth.json.checks.conciliations, { pending: 0, exhausted: 1 });
      const admin = client(`${stack.base}/admin`, SERVICE_KEY);
      const listed = await admin("GET", `/conciliations?tenant=${slug}&status=exhausted`);
      assert.equal(listed.json.items.length, 1);
      assert.equal(listed.json.items[0].key, "c1");
      assert.equal(listed.json.items[0].type, "customer_position");

      // Once the source is back, a rebuild repairs the key and clears it from /health.
      await sql`alter table bank.balances_gone rename to balances`;
      const rebuilt = await admin("POST", "/dto/customer_position/rebuild", {
        tenant: slug,
        key: "c1",
      });
      assert.equal(rebuilt.status, 200, rebuilt.text);
      assert.deepEqual(
        (await readSnapshot(sql, { tenant: slug, type: "customer_position", key: "c1" }))?.data,
        await fromSource(sql, customerPosition, slug, "c1"),
      );
      assert.equal((await row()).status, "resolved");
      const [{ health: after }] = await sql`select switchyard.health_conciliations() as health`;
      assert.deepEqual(after, { pending: 0, exhausted: 0 });
      assert.equal((await timeline(sql, slug, "customer", "c1")).at(-1)?.type, "dto.conciliated");
    } finally {
      await restarted.close();
      await stack.close();
    }
  },
});
