/** Idle is idle: with nothing due and no traffic, the stack as `npm start` runs it barely touches Postgres. */
import assert from "node:assert/strict";
import postgres from "postgres";
import { bootStack } from "./stack-process.ts";
import { testDatabase } from "./harness.ts";
import { nextDueInMs } from "../functions/_shared/delivery/claim.ts";
import { emitAndRoute, orderEvent } from "./delivery-fixtures.ts";
import { createApiKey, createTenant } from "../functions/_shared/tenants.ts";
import { sleep } from "../functions/_shared/clock.ts";

Deno.test("with nothing pending, the next delivery is due never, not now", async () => {
  const db = await testDatabase();
  try {
    assert.equal(await nextDueInMs(db.sql, 32), null);
    await createTenant(db.sql, "acme", "Acme");
    await createApiKey(db.sql, "acme");
    const [ep] = await db.sql<{ id: string }[]>`
      insert into switchyard.endpoints (tenant, kind, url, secret)
      values ('acme', 'webhook', 'http://127.0.0.1:9/x', 'v1.x') returning id`;
    await db
      .sql`insert into switchyard.subscriptions (tenant, endpoint_id, pattern) values ('acme', ${ep.id}, '*')`;
    await emitAndRoute(db.sql, [orderEvent("acme", "o-1")]);
    assert.equal(await nextDueInMs(db.sql, 32), 0, "a routed delivery is due now");
    await db.sql`update switchyard.deliveries set due_at = now() + interval '1 hour'`;
    const later = await nextDueInMs(db.sql, 32);
    assert.ok(later !== null && later > 3_000_000, `due in about an hour: ${later}`);
    await db.sql`update switchyard.deliveries set status = 'delivered'`;
    assert.equal(await nextDueInMs(db.sql, 32), null, "nothing pending: null again");
  } finally {
    await db.drop();
  }
});

Deno.test("a whole idle stack, started as npm start starts it, commits at most 5 transactions a second", async () => {
  const stack = await bootStack();
  const sql = postgres(stack.env.DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    const commits = async () =>
      Number(
        (await sql<{ n: string }[]>`select sum(xact_commit)::text as n from pg_stat_database`)[0].n,
      );
    // Let start-up work (migrations, the first rounds of each job) settle.
    await sleep(5_000);
    const before = await commits();
    const started = Date.now();
    await sleep(10_000);
    // pg_stat_database is refreshed by each backend at most once a second (PGSTAT_MIN_INTERVAL).
    await sql`select pg_stat_clear_snapshot()`;
    const after = await commits();
    const seconds = (Date.now() - started) / 1000;
    // Our own two reads are commits too.
    const perSecond = (after - before - 2) / seconds;
    assert.ok(
      perSecond <= 5,
      `${perSecond.toFixed(1)} transactions/s while idle\n${stack.output().slice(-2000)}`,
    );
  } finally {
    await sql.end();
    await stack.stop();
  }
});
