/**
 * A claim writes only the lease (migrations/20261202010100_hot_claims.sql): its update is HOT, a
 * delivery in flight keeps its due time, and the room per endpoint is its limit less what its
 * claims hold, given back by outcomes or when a claim's lease ends.
 */
import assert from "node:assert/strict";
import { seedTenant, testDatabase } from "./harness.ts";
import { emitAndRoute, orderEvent } from "./delivery-fixtures.ts";
import type { Queryable } from "../functions/_shared/db.ts";

async function endpoint(sql: Queryable, tenant: string, maxInFlight: number): Promise<string> {
  const [ep] = await sql<{ id: string }[]>`
    insert into switchyard.endpoints (tenant, name, kind, url, secret, max_in_flight)
    values (${tenant}, 'hook', 'webhook', 'http://127.0.0.1:9/hook', 'v1.not.used', ${maxInFlight})
    returning id`;
  await sql`insert into switchyard.subscriptions (tenant, endpoint_id, pattern) values (${tenant}, ${ep.id}, '*')`;
  return ep.id;
}

const claim = (sql: Queryable, limit: number, lease: string) =>
  sql<{ id: string }[]>`select id from switchyard.claim_deliveries(${limit}, ${lease}, 32, 15000)`;

const delivered = (ids: string[], lease: string) =>
  ids.map((id) => ({
    id,
    lease,
    kind: "delivered",
    sent: true,
    probe: false,
    ok: true,
    status: 200,
    latency_ms: 1,
    error: null,
    excerpt: "",
  }));

Deno.test("a claim is a HOT update of the lease alone, and its rows keep their due time", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    await endpoint(db.sql, slug, 100);
    await emitAndRoute(db.sql, Array.from({ length: 40 }, (_, i) => orderEvent(slug, `o-${i}`)));
    const before = await db.sql<{ id: string; due_at: Date }[]>`
      select id, due_at from switchyard.deliveries order by seq`;
    // The page keeps a fifth free (fillfactor 80): room for a few new row versions beside the old.
    const updates = await db.sql.begin(async (tx) => {
      assert.equal((await claim(tx, 4, "l1")).length, 4);
      const [u] = await tx<{ upd: number; hot: number }[]>`
        select n_tup_upd::int as upd, n_tup_hot_upd::int as hot
        from pg_stat_xact_user_tables where schemaname = 'switchyard' and relname = 'deliveries'`;
      return u;
    });
    // A change to an indexed column (due_at, or a lease an index reads) would make none of them HOT.
    assert.deepEqual(updates, { upd: 4, hot: 4 }, "each claimed row was updated in place (HOT)");
    assert.equal((await claim(db.sql, 40, "l1")).length, 36);
    const after = await db.sql<{ id: string; due_at: Date; leased: boolean }[]>`
      select id, due_at, lease = 'l1' and lease_until > now() + interval '10 seconds' as leased
      from switchyard.deliveries order by seq`;
    assert.deepEqual(
      after.map((r) => [r.id, r.due_at.getTime()]),
      before.map((r) => [r.id, r.due_at.getTime()]),
    );
    assert.ok(after.every((r) => r.leased));
    // In flight is not due: health, status and the next due time say so.
    const [h] = await db.sql<{ due: number; in_flight: number; next_ms: number }[]>`
      select (switchyard.health_deliveries()->>'due')::int as due,
        (switchyard.health_deliveries()->>'inFlight')::int as in_flight,
        extract(epoch from switchyard.next_delivery_due(32) - now()) * 1000 as next_ms`;
    assert.equal(h.due, 0);
    assert.equal(h.in_flight, 40);
    assert.ok(h.next_ms > 10_000, `next due in ${h.next_ms} ms: the claim's end, not now`);
    const [next] = await db.sql<{ at: Date; until: Date }[]>`
      select switchyard.delivery_next_attempt(d) as at, d.lease_until as until
      from switchyard.deliveries d limit 1`;
    assert.equal(next.at.getTime(), next.until.getTime());
  } finally {
    await db.drop();
  }
});

Deno.test("the room per endpoint is what its claims hold: outcomes give slots back, an ended claim gives all back", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    const ep = await endpoint(db.sql, slug, 5);
    await emitAndRoute(db.sql, Array.from({ length: 20 }, (_, i) => orderEvent(slug, `o-${i}`)));

    const first = await claim(db.sql, 100, "a");
    assert.equal(first.length, 5, "the limit of 5 in flight");
    assert.equal((await claim(db.sql, 100, "b")).length, 0, "no room while 5 are in flight");

    await db.sql`select * from switchyard.record_delivery_outcomes(${
      db.sql.json(delivered(first.slice(0, 2).map((r) => r.id), "a"))
    }::jsonb)`;
    const second = await claim(db.sql, 100, "c");
    assert.equal(second.length, 2, "two outcomes, two slots");
    const held = await db.sql<{ lease: string; live: number }[]>`
      select lease, live from switchyard.delivery_claims where endpoint_id = ${ep} order by lease`;
    assert.deepEqual(held.map((c) => [c.lease, c.live]), [["a", 3], ["c", 2]]);

    // A worker that died: claim "a" ends with its three rows still leased. They are free again,
    // and "a" no longer counts, so the room is 5 less claim "c"'s 2.
    await db
      .sql`update switchyard.delivery_claims set until = now() - interval '1 second' where lease = 'a'`;
    await db
      .sql`update switchyard.deliveries set lease_until = now() - interval '1 second' where lease = 'a'`;
    const third = await claim(db.sql, 100, "d");
    assert.equal(third.length, 3);
    const firstIds = new Set(first.map((r) => r.id));
    assert.ok(third.every((r) => firstIds.has(r.id)), "the oldest due are the ended claim's rows");
    const left = await db.sql<{ lease: string }[]>`
      select lease from switchyard.delivery_claims where endpoint_id = ${ep} order by lease`;
    assert.deepEqual(left.map((c) => c.lease), ["c", "d"], "the ended claim is gone");

    // The late outcome of the ended claim changes nothing: its rows belong to claim "d" now.
    await db.sql`select * from switchyard.record_delivery_outcomes(${
      db.sql.json(delivered(first.slice(2).map((r) => r.id), "a"))
    }::jsonb)`;
    const [{ n }] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from switchyard.deliveries where status = 'delivered'`;
    assert.equal(n, 2);
    await db.sql`select * from switchyard.record_delivery_outcomes(${
      db.sql.json([
        ...delivered(second.map((r) => r.id), "c"),
        ...delivered(
          third.map((r) => r.id),
          "d",
        ),
      ])
    }::jsonb)`;
    const [after] = await db.sql<{ claims: number; delivered: number }[]>`
      select (select count(*)::int from switchyard.delivery_claims) as claims,
        (select count(*)::int from switchyard.deliveries where status = 'delivered') as delivered`;
    assert.deepEqual(after, { claims: 0, delivered: 7 });
    assert.equal((await claim(db.sql, 100, "e")).length, 5);
  } finally {
    await db.drop();
  }
});
