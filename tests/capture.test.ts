/** The log in SQL: per-entity versions, capture triggers, emit() as a transactional outbox. */
import assert from "node:assert/strict";
import { seedTenant, testDatabase } from "./harness.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";

const count = async (sql: import("../functions/_shared/db.ts").Sql, tenant: string) =>
  (await sql<
    { n: number }[]
  >`select count(*)::int as n from switchyard.events where tenant = ${tenant}`)[0].n;

Deno.test("50 concurrent appenders on one entity get versions exactly 1..50", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        appendEvents(db.sql, [{
          tenant: slug,
          type: "order.updated",
          entity: { type: "order", id: "o-1" },
          data: { i },
        }])),
    );
    const versions = results.map((r) => r[0].version).sort((a, b) => a - b);
    assert.deepEqual(versions, Array.from({ length: 50 }, (_, i) => i + 1));
    const stored = await db.sql<{ version: number }[]>`
      select version from switchyard.events where tenant = ${slug} and entity_id = 'o-1' order by version`;
    assert.deepEqual(stored.map((r) => r.version), versions);
  } finally {
    await db.drop();
  }
});

Deno.test("a batch numbers each entity's events consecutively, in request order", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    const ev = (id: string) => ({
      tenant: slug,
      type: "order.updated",
      entity: { type: "order", id },
    });
    const out = await appendEvents(db.sql, [ev("a"), ev("b"), ev("a"), ev("a"), ev("b")]);
    assert.deepEqual(out.map((r) => r.version), [1, 1, 2, 3, 2]);
  } finally {
    await db.drop();
  }
});

Deno.test("a rolled-back append leaves no event and does not use up a version", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    const ev = { tenant: slug, type: "order.created", entity: { type: "order", id: "o-9" } };
    await assert.rejects(
      db.sql.begin(async (tx) => {
        await appendEvents(tx, [ev]);
        throw new Error("abort");
      }),
      /abort/,
    );
    assert.equal(await count(db.sql, slug), 0);
    assert.equal((await appendEvents(db.sql, [ev]))[0].version, 1);
  } finally {
    await db.drop();
  }
});

Deno.test("switchyard.emit inside a rolled-back transaction leaves nothing; committed, it appends", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    await assert.rejects(
      db.sql.begin(async (tx) => {
        await tx`select switchyard.emit(${slug}, 'invoice.issued', 'invoice', 'i-1', '{"total": 5}'::jsonb)`;
        throw new Error("abort");
      }),
      /abort/,
    );
    assert.equal(await count(db.sql, slug), 0);
    const [{ id }] = await db.sql<{ id: string }[]>`
      select switchyard.emit(${slug}, 'invoice.issued', 'invoice', 'i-1', '{"total": 5}'::jsonb, '{}'::jsonb, 'inv-1') as id`;
    const [again] = await db.sql<{ id: string }[]>`
      select switchyard.emit(${slug}, 'invoice.issued', 'invoice', 'i-1', '{"total": 5}'::jsonb, '{}'::jsonb, 'inv-1') as id`;
    assert.match(id, /^evt_/);
    assert.equal(again.id, id, "the same dedup key returns the original event");
    const [row] = await db.sql`select type, version, data from switchyard.events where id = ${id}`;
    assert.deepEqual({ ...row }, { type: "invoice.issued", version: 1, data: { total: 5 } });
  } finally {
    await db.drop();
  }
});

Deno.test("a tracked table's insert, update and delete become created, updated and deleted events", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    await db
      .sql`create table public.orders (id text primary key, tenant_id text not null, status text, total numeric)`;
    await db.sql`select switchyard.track('public.orders', 'order')`;
    await db.sql`insert into public.orders values ('o-1', ${slug}, 'new', 10)`;
    await db.sql`update public.orders set status = 'confirmed', total = 12 where id = 'o-1'`;
    await db.sql`update public.orders set status = 'confirmed' where id = 'o-1'`; // no change: no event
    await db.sql`delete from public.orders where id = 'o-1'`;
    await assert.rejects(
      db.sql.begin(async (tx) => {
        await tx`insert into public.orders values ('o-2', ${slug}, 'new', 1)`;
        throw new Error("abort");
      }),
      /abort/,
    );

    const events = await db.sql<
      {
        type: string;
        entity_id: string;
        version: number;
        data: Record<string, unknown>;
        metadata: Record<string, unknown>;
      }[]
    >`
      select type, entity_id, version, data, metadata from switchyard.events where tenant = ${slug} order by seq`;
    assert.deepEqual(events.map((e) => [e.type, e.entity_id, e.version]), [
      ["order.created", "o-1", 1],
      ["order.updated", "o-1", 2],
      ["order.deleted", "o-1", 3],
    ]);
    const [created, updated, deleted] = events;
    assert.deepEqual(created.data, {
      new: { id: "o-1", tenant_id: slug, status: "new", total: 10 },
    });
    assert.deepEqual(updated.data, {
      new: { id: "o-1", tenant_id: slug, status: "confirmed", total: 12 },
      old: { id: "o-1", tenant_id: slug, status: "new", total: 10 },
      changed: ["status", "total"],
    });
    assert.deepEqual(deleted.data, {
      old: { id: "o-1", tenant_id: slug, status: "confirmed", total: 12 },
    });
    assert.deepEqual(created.metadata, { source: "capture", table: "public.orders" });

    await db.sql`select switchyard.untrack('public.orders')`;
    await db.sql`insert into public.orders values ('o-3', ${slug}, 'new', 1)`;
    assert.equal(await count(db.sql, slug), 3, "an untracked table appends nothing");
  } finally {
    await db.drop();
  }
});
