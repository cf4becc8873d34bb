/**
 * The event log's indexes (migrations/20261201070100_event_indexes.sql): each one serves the query
 * its comment names, and nothing else sits on the table; ids are time-ordered, so the primary key
 * is appended to at its right edge.
 */
import assert from "node:assert/strict";
import { seedTenant, testDatabase } from "./harness.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";

/** Each index, and a query of the code that needs it (parameters inlined for EXPLAIN). */
const uses: Record<string, (t: string) => string> = {
  events_pkey: () =>
    `select e.id from switchyard.deliveries d
    join switchyard.events e on e.id = d.event_id where d.id = 'dlv_x'`,
  events_tenant_entity_type_entity_id_version_key: (t) =>
    `select e.id from switchyard.events e
    where e.tenant = '${t}' and e.entity_type = 'order' and e.entity_id = 'o-1' and e.version > 0
    order by e.version limit 101`,
  events_dedup: (t) =>
    `select e.id from switchyard.events e
    where e.tenant = '${t}' and e.dedup_key = 'k-1'`,
  events_tenant_seq: (t) =>
    `select e.id from switchyard.events e
    where e.tenant = '${t}' order by e.seq desc limit 101`,
  events_tenant_type_seq: (t) =>
    `select e.id from switchyard.events e
    where e.tenant = '${t}' and e.type = 'order.shipped' order by e.seq desc limit 101`,
  events_recorded_at: () =>
    `select count(*) from switchyard.events e
    where e.recorded_at >= now() - interval '2 hours' and e.recorded_at < now() - interval '1 hour'`,
  events_seq: () =>
    `select e.recorded_at from switchyard.events e
    where e.seq > 10 order by e.seq limit 100000`,
  events_tenant_recorded_at: (t) =>
    `select e.type, e.entity_type, count(*) from switchyard.events e
    where e.tenant = '${t}' and e.recorded_at > now() - interval '24 hours' group by 1, 2`,
};

Deno.test("every index on the event log serves the query it is kept for, and there are no others", async () => {
  const db = await testDatabase();
  try {
    const tenants: string[] = [];
    for (let t = 0; t < 4; t++) tenants.push((await seedTenant(db.sql)).slug);
    const slug = tenants[0];
    for (let b = 0; b < 8; b++) {
      await appendEvents(
        db.sql,
        Array.from({ length: 500 }, (_, i) => ({
          tenant: tenants[b % tenants.length],
          type: i % 50 === 0 ? "order.shipped" : "order.updated",
          entity: { type: "order", id: `o-${i % 200}` },
          dedupKey: i % 5 === 0 ? `k-${b}-${i}` : undefined,
          data: { b, i },
        })),
      );
    }
    await db.sql`analyze switchyard.events`;
    const present = (await db.sql<{ indexname: string }[]>`
      select indexname from pg_indexes where schemaname = 'switchyard' and tablename = 'events'`)
      .map((r) => r.indexname).sort();
    assert.deepEqual(present, Object.keys(uses).sort(), "an index without a known query");
    const constraints = new Set(
      (await db.sql<{ name: string }[]>`
        select conname as name from pg_constraint
        where conrelid = 'switchyard.events'::regclass and conindid <> 0`).map((r) => r.name),
    );
    class Rollback extends Error {}
    for (const [index, query] of Object.entries(uses)) {
      let plan = "";
      // With the other indexes gone (in a transaction rolled back), the planner shows whether this
      // one serves the query; on a table this small it might otherwise pick a neighbour.
      await db.sql.begin(async (tx) => {
        for (const other of present.filter((i) => i !== index)) {
          await tx.unsafe(
            constraints.has(other)
              ? `alter table switchyard.events drop constraint ${other} cascade`
              : `drop index switchyard.${other}`,
          );
        }
        await tx`set local enable_seqscan = off`;
        const [row] = await tx.unsafe(`explain (format json) ${query(slug)}`);
        plan = JSON.stringify(row["QUERY PLAN"]);
        throw new Rollback();
      }).catch((e) => {
        if (!(e instanceof Rollback)) throw e;
      });
      assert.ok(plan.includes(`"Index Name":"${index}"`), `${index} does not serve: ${plan}`);
    }
    const comments = await db.sql<{ name: string; comment: string | null }[]>`
      select c.relname as name, obj_description(c.oid, 'pg_class') as comment
      from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid = 'switchyard.events'::regclass`;
    for (const c of comments) assert.ok(c.comment, `${c.name} has no comment naming its query`);
  } finally {
    await db.drop();
  }
});

Deno.test("event ids sort in the order the events were appended", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [a] = await appendEvents(db.sql, [{
        tenant: slug,
        type: "order.updated",
        entity: { type: "order", id: `o-${i}` },
      }]);
      ids.push(a.id);
    }
    assert.deepEqual([...ids].sort(), ids);
    for (const id of ids) assert.match(id, /^evt_[0-9a-f]{32}$/);
  } finally {
    await db.drop();
  }
});
