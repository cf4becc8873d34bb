/** GET /api/events, GET /api/trace, the admin list and tail: filters, cursors, cache, tenant isolation. */
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { sleep } from "../functions/_shared/clock.ts";

const envelopeKeys = [
  "causationId",
  "correlationId",
  "data",
  "dedupKey",
  "entity",
  "id",
  "metadata",
  "recordedAt",
  "tenant",
  "timestamp",
  "type",
  "version",
];
const ev = (type: string, entityType: string, id: string, timestamp: string) => ({
  type,
  entity: { type: entityType, id },
  timestamp,
  data: { id },
});

async function seeded() {
  const stack = await startStack();
  const a = await seedTenant(stack.db.sql);
  const b = await seedTenant(stack.db.sql);
  const apiA = client(`${stack.base}/api`, a.key);
  const apiB = client(`${stack.base}/api`, b.key);
  const res = await apiA("POST", "/events", [
    ev("order.created", "order", "o-1", "2026-11-20T10:00:00Z"),
    ev("customer.created", "customer", "c-1", "2026-11-21T10:00:00Z"),
    ev("order.confirmed", "order", "o-1", "2026-11-22T10:00:00Z"),
    ev("order.created", "order", "o-2", "2026-11-23T10:00:00Z"),
    ev("order.shipped", "order", "o-1", "2026-11-24T10:00:00Z"),
  ]);
  assert.equal(res.status, 202);
  assert.equal(
    (await apiB("POST", "/events", ev("order.created", "order", "o-1", "2026-11-24T11:00:00Z")))
      .status,
    202,
  );
  return {
    stack,
    a,
    b,
    apiA,
    apiB,
    ids: res.json.accepted.map((x: { id: string }) => x.id) as string[],
  };
}

Deno.test("GET /events lists newest first with envelopes, filters and a keyset cursor, one tenant only", async () => {
  const { stack, a, apiA, apiB, ids } = await seeded();
  try {
    const all = await apiA("GET", "/events");
    assert.equal(all.status, 200);
    assert.deepEqual(all.json.items.map((e: { id: string }) => e.id), [...ids].reverse());
    assert.equal(all.json.nextCursor, null);
    const first = all.json.items[4];
    assert.deepEqual(Object.keys(first).sort(), envelopeKeys);
    assert.deepEqual(first.entity, { type: "order", id: "o-1" });
    assert.equal(first.tenant, a.slug);
    assert.equal(first.timestamp, "2026-11-20T10:00:00.000Z");
    assert.match(first.recordedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const types = async (q: string) =>
      (await apiA("GET", `/events?${q}`)).json.items.map((
        e: { type: string; entity: { id: string } },
      ) => `${e.type}/${e.entity.id}`);
    assert.deepEqual(await types("type=order.*"), [
      "order.shipped/o-1",
      "order.created/o-2",
      "order.confirmed/o-1",
      "order.created/o-1",
    ]);
    assert.deepEqual(await types("type=order.created"), ["order.created/o-2", "order.created/o-1"]);
    assert.deepEqual(await types("type=*.created"), [
      "order.created/o-2",
      "customer.created/c-1",
      "order.created/o-1",
    ]);
    assert.deepEqual(await types("entityType=order&entityId=o-1"), [
      "order.shipped/o-1",
      "order.confirmed/o-1",
      "order.created/o-1",
    ]);
    assert.deepEqual(await types("from=2026-11-21T00:00:00Z&to=2026-11-23T00:00:00Z"), [
      "order.confirmed/o-1",
      "customer.created/c-1",
    ]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { json: { items: { id: string }[]; nextCursor: string | null } } = await apiA(
        "GET",
        `/events?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      assert.ok(page.json.items.length <= 2);
      seen.push(...page.json.items.map((e) => e.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse(), "pages cover every event once, newest first");

    const firstPage = await apiA("GET", "/events?limit=2");
    const reused = await apiA(
      "GET",
      `/events?limit=2&type=order.*&cursor=${firstPage.json.nextCursor}`,
    );
    assert.equal(reused.status, 400, "a cursor only continues the query it came from");
    const stolen = await apiB("GET", `/events?limit=2&cursor=${firstPage.json.nextCursor}`);
    assert.equal(stolen.status, 400, "another tenant cannot reuse the cursor");

    const other = await apiB("GET", "/events?limit=1000");
    assert.equal(other.json.items.length, 1);
    assert.ok(
      other.json.items.every((e: { tenant: string }) => e.tenant !== a.slug),
      "tenant B never sees tenant A's events",
    );
  } finally {
    await stack.close();
  }
});

Deno.test("GET /trace gives the entity's timeline oldest first with deliveries, paginated, one tenant only", async () => {
  const { stack, apiA, apiB, ids } = await seeded();
  try {
    const trace = await apiA("GET", "/trace/order/o-1");
    assert.equal(trace.status, 200);
    assert.deepEqual(trace.json.entity, { type: "order", id: "o-1" });
    assert.deepEqual(
      trace.json.items.map((e: { version: number; type: string }) => [e.version, e.type]),
      [[1, "order.created"], [2, "order.confirmed"], [3, "order.shipped"]],
    );
    assert.deepEqual(trace.json.items.map((e: { id: string }) => e.id), [ids[0], ids[2], ids[4]]);
    assert.ok(trace.json.items.every((e: { deliveries: unknown }) => Array.isArray(e.deliveries)));

    const p1 = await apiA("GET", "/trace/order/o-1?limit=2");
    assert.equal(p1.json.items.length, 2);
    const p2 = await apiA("GET", `/trace/order/o-1?limit=2&cursor=${p1.json.nextCursor}`);
    assert.deepEqual(p2.json.items.map((e: { version: number }) => e.version), [3]);
    assert.equal(p2.json.nextCursor, null);

    const b = await apiB("GET", "/trace/order/o-1");
    assert.deepEqual(
      b.json.items.map((e: { id: string }) => e.id).filter((id: string) => ids.includes(id)),
      [],
      "tenant B never sees tenant A's timeline",
    );
    assert.equal(b.json.items.length, 1);
    const none = await apiB("GET", "/trace/customer/c-1");
    assert.deepEqual(none.json.items, []);
  } finally {
    await stack.close();
  }
});

Deno.test("a trace is served from the fast store until the entity gets a new event", async () => {
  const { stack, apiA } = await seeded();
  try {
    const miss = await apiA("GET", "/trace/order/o-1");
    assert.equal(miss.headers.get("x-switchyard-cache"), "miss");
    const hit = await apiA("GET", "/trace/order/o-1");
    assert.equal(hit.headers.get("x-switchyard-cache"), "hit");
    assert.deepEqual(hit.json, miss.json);

    await apiA("POST", "/events", ev("order.created", "order", "o-9", "2026-11-24T12:00:00Z"));
    assert.equal(
      (await apiA("GET", "/trace/order/o-1")).headers.get("x-switchyard-cache"),
      "hit",
      "another entity's event leaves the cache alone",
    );

    await apiA("POST", "/events", ev("order.delivered", "order", "o-1", "2026-11-24T12:00:00Z"));
    const fresh = await apiA("GET", "/trace/order/o-1");
    assert.equal(fresh.headers.get("x-switchyard-cache"), "miss");
    assert.deepEqual(
      fresh.json.items.map((e: { type: string }) => e.type).at(-1),
      "order.delivered",
    );
    assert.equal((await apiA("GET", "/trace/order/o-1")).headers.get("x-switchyard-cache"), "hit");
  } finally {
    await stack.close();
  }
});

Deno.test("admin lists any tenant's events and tails one tenant with a long poll", async () => {
  const { stack, a, b, apiA, ids } = await seeded();
  try {
    const admin = client(`${stack.base}/admin`, SERVICE_KEY);
    assert.equal(
      (await client(`${stack.base}/admin`, a.key)("GET", "/events")).status,
      401,
      "a tenant key is not the service key",
    );
    const onlyA = await admin("GET", `/events?tenant=${a.slug}&type=order.*`);
    assert.equal(onlyA.status, 200);
    assert.deepEqual(onlyA.json.items.map((e: { id: string }) => e.id), [
      ids[4],
      ids[3],
      ids[2],
      ids[0],
    ]);
    const everyone = await admin("GET", "/events");
    assert.deepEqual(
      new Set(everyone.json.items.map((e: { tenant: string }) => e.tenant)),
      new Set([a.slug, b.slug]),
    );

    const now = await admin("GET", `/events/tail?tenant=${a.slug}&after=&waitMs=0`);
    assert.equal(now.status, 200);
    assert.deepEqual(now.json.items, [], "an empty `after` starts from now");

    const started = Date.now();
    const waiting = admin(
      "GET",
      `/events/tail?tenant=${a.slug}&after=${now.json.cursor}&waitMs=20000`,
    );
    await sleep(300);
    await client(`${stack.base}/api`, b.key)(
      "POST",
      "/events",
      ev("order.created", "order", "o-7", "2026-11-24T12:00:00Z"),
    );
    await apiA("POST", "/events", [
      ev("order.created", "order", "o-5", "2026-11-24T12:00:00Z"),
      ev("order.created", "order", "o-6", "2026-11-24T12:00:00Z"),
    ]);
    const tail = await waiting;
    assert.ok(
      Date.now() - started < 15_000,
      "the long poll answers when events arrive, not at its deadline",
    );
    assert.deepEqual(tail.json.items.map((e: { entity: { id: string } }) => e.entity.id), [
      "o-5",
      "o-6",
    ], "oldest first, the tenant's own only");

    const idle = await admin(
      "GET",
      `/events/tail?tenant=${a.slug}&after=${tail.json.cursor}&waitMs=300`,
    );
    assert.deepEqual(idle.json.items, []);
    assert.equal((await admin("GET", `/events/tail?tenant=${a.slug}&waitMs=99999`)).status, 400);
    assert.equal(
      (await admin("GET", `/events/tail?tenant=${a.slug}&after=${tail.json.cursor}x&waitMs=0`))
        .status,
      400,
    );
  } finally {
    await stack.close();
  }
});
