/**
 * The claim and the outcome batch read what they are about, not every live lease
 * (migrations/20261201100100_claim_indexes.sql): both run many times a second while deliveries
 * flow, and their cost per call was most of the delivery worker's database time.
 */
import assert from "node:assert/strict";
import { seedTenant, testDatabase } from "./harness.ts";
import { emitAndRoute, orderEvent } from "./delivery-fixtures.ts";
import type { Queryable } from "../functions/_shared/db.ts";

const ENDPOINTS = 10;
const EVENTS = 400;

/** Rows of switchyard.<table> fetched so far in this transaction, through any index or a scan. */
async function rowsRead(tx: Queryable, table: "deliveries" | "events"): Promise<number> {
  const [s] = await tx<{ rows: string }[]>`
    select coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0) as rows
    from pg_stat_xact_user_tables where schemaname = 'switchyard' and relname = ${table}`;
  return Number(s.rows);
}

Deno.test("a claim beside hundreds of live leases, and the outcomes of one, read only their own rows", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    for (let i = 0; i < ENDPOINTS; i++) {
      const [ep] = await db.sql<{ id: string }[]>`
        insert into switchyard.endpoints (tenant, name, kind, url, secret)
        values (${slug}, ${`hook ${i}`}, 'webhook', ${`http://127.0.0.1:9/e${i}`}, 'v1.not.used')
        returning id`;
      await db
        .sql`insert into switchyard.subscriptions (tenant, endpoint_id, pattern) values (${slug}, ${ep.id}, '*')`;
    }
    await emitAndRoute(
      db.sql,
      Array.from({ length: EVENTS }, (_, i) => orderEvent(slug, `o-${i}`)),
    );
    await db.sql`analyze switchyard.deliveries`;
    // 30 in flight at each endpoint: the live leases every room count used to walk.
    const [{ n: leased }] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from switchyard.claim_deliveries(300, 'first', 32, 15000)`;
    assert.equal(leased, 300);

    const claim = await db.sql.begin(async (tx) => {
      const before = await rowsRead(tx, "deliveries");
      const eventsBefore = await rowsRead(tx, "events");
      const rows = await tx<{ id: string; endpoint_id: string; event: { id: string } }[]>`
        select id, endpoint_id, event from switchyard.claim_deliveries(24, 'second', 64, 15000)`;
      return {
        rows,
        read: (await rowsRead(tx, "deliveries")) - before,
        events: (await rowsRead(tx, "events")) - eventsBefore,
      };
    });
    assert.equal(claim.rows.length, 24);
    // Each endpoint's own live leases (30) are counted once: about 300 rows, plus the 24 claimed.
    // Counting them through an index led by due_at read every lease once per endpoint (3,000+).
    assert.ok(claim.read < 800, `a claim of 24 read ${claim.read} delivery rows`);
    // Each claimed row's event, by its key; as a join, the whole log was read and hashed.
    assert.ok(claim.rows.every((r) => r.event?.id), "every claimed row comes with its event");
    assert.ok(claim.events <= 24, `a claim of 24 read ${claim.events} of ${EVENTS} events`);

    const outcomes = await db.sql<{ id: string; lease: string }[]>`
      select id, lease from switchyard.deliveries where lease = 'first' order by seq limit 33`;
    const recorded = await db.sql.begin(async (tx) => {
      const before = await rowsRead(tx, "deliveries");
      await tx`select * from switchyard.record_delivery_outcomes(${
        tx.json(outcomes.map((o) => ({
          id: o.id,
          lease: o.lease,
          kind: "delivered",
          sent: true,
          probe: false,
          ok: true,
          status: 200,
          latency_ms: 3,
          error: null,
          excerpt: "",
        })))
      }::jsonb)`;
      return (await rowsRead(tx, "deliveries")) - before;
    });
    // A primary-key lookup and an update per outcome; walking the leases' index per outcome read
    // hundreds each.
    assert.ok(recorded < 33 * 4, `33 outcomes read ${recorded} delivery rows`);
    const [{ delivered }] = await db.sql<{ delivered: number }[]>`
      select count(*)::int as delivered from switchyard.deliveries where status = 'delivered'`;
    assert.equal(delivered, 33);

    // What health and status say about due deliveries, now counted per endpoint.
    const [{ due, oldest, statusDue }] = await db.sql<
      { due: number; oldest: number | null; statusDue: number }[]
    >`
      select (switchyard.health_deliveries()->>'due')::int as due,
        (switchyard.health_progress()->>'deliveries_oldest_due_ms')::bigint as oldest,
        (select deliveries_due from switchyard.tenant_status() where tenant = ${slug})::int as "statusDue"`;
    // Routed: 4,000; delivered 33; leased (not due until their lease ends): 300 - 33 + 24.
    assert.equal(due, EVENTS * ENDPOINTS - 300 - 24);
    assert.equal(statusDue, due);
    assert.ok(oldest !== null && oldest >= 0, `oldest due ${oldest}`);
  } finally {
    await db.drop();
  }
});
