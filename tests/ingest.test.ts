/** POST /api/events: what is accepted, what is refused, and that refusals write nothing. */
import assert from "node:assert/strict";
import { client, seedTenant, startStack, type TestStack } from "./harness.ts";
import { createApiKey, disableTenant, revokeApiKey } from "../functions/_shared/tenants.ts";

const total = async (stack: TestStack) =>
  (await stack.db.sql<{ n: number }[]>`select count(*)::int as n from switchyard.events`)[0].n;

const order = (id: string, extra: Record<string, unknown> = {}) => ({
  type: "order.confirmed",
  entity: { type: "order", id },
  ...extra,
});

Deno.test("a batch is accepted in request order, durable, with the request's correlation id", async () => {
  const stack = await startStack();
  try {
    const { slug, key } = await seedTenant(stack.db.sql);
    const api = client(`${stack.base}/api`, key);
    const res = await api("POST", "/events", [
      order("o-1", {
        data: { total: 10 },
        metadata: { by: "erp" },
        timestamp: "2026-11-24T12:30:00+02:00",
      }),
      order("o-2"),
      { type: "order.shipped", entity: { type: "order", id: "o-1" } },
    ], { "x-correlation-id": "req-42" });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get("x-correlation-id"), "req-42");
    const accepted = res.json.accepted as { id: string; version: number; duplicate: boolean }[];
    assert.deepEqual(accepted.map((a) => [a.version, a.duplicate]), [[1, false], [1, false], [
      2,
      false,
    ]]);
    for (const a of accepted) assert.match(a.id, /^evt_/);

    const rows = await stack.db
      .sql`select id, tenant, type, entity_id, version, occurred_at, correlation_id, data, metadata
      from switchyard.events order by seq`;
    assert.deepEqual(rows.map((r) => r.id), accepted.map((a) => a.id));
    assert.equal(rows[0].tenant, slug);
    assert.equal((rows[0].occurred_at as Date).toISOString(), "2026-11-24T10:30:00.000Z");
    assert.deepEqual(rows[0].data, { total: 10 });
    assert.deepEqual(rows[0].metadata, { by: "erp" });
    assert.ok(rows.every((r) => r.correlation_id === "req-42"));
    assert.ok(
      Math.abs((rows[1].occurred_at as Date).getTime() - Date.now()) < 60_000,
      "timestamp defaults to now",
    );

    const one = await api("POST", "/events", order("o-3"));
    assert.equal(one.status, 202, "a single event (not an array) is accepted too");
    assert.equal(one.json.accepted.length, 1);
  } finally {
    await stack.close();
  }
});

Deno.test("a known dedupKey returns the original event with duplicate: true, also within one batch", async () => {
  const stack = await startStack();
  try {
    const { key } = await seedTenant(stack.db.sql);
    const api = client(`${stack.base}/api`, key);
    const first = await api("POST", "/events", order("o-1", { dedupKey: "erp-1" }));
    assert.equal(first.status, 202);
    const again = await api("POST", "/events", [
      order("o-1", { dedupKey: "erp-1" }),
      order("o-1", { dedupKey: "erp-2" }),
      order("o-1", { dedupKey: "erp-2" }),
    ]);
    assert.equal(again.status, 202);
    const [dup, fresh, dupInBatch] = again.json.accepted;
    assert.deepEqual(dup, { ...first.json.accepted[0], duplicate: true });
    assert.deepEqual([fresh.version, fresh.duplicate], [2, false]);
    assert.deepEqual(dupInBatch, { ...fresh, duplicate: true });
    assert.equal(await total(stack), 2);
  } finally {
    await stack.close();
  }
});

Deno.test("a wrong expectedVersion is 409 for the whole batch and writes nothing", async () => {
  const stack = await startStack();
  try {
    const { key } = await seedTenant(stack.db.sql);
    const api = client(`${stack.base}/api`, key);
    assert.equal((await api("POST", "/events", order("o-1", { expectedVersion: 0 }))).status, 202);
    const conflict = await api("POST", "/events", [
      order("o-2"),
      order("o-1", { expectedVersion: 0 }),
    ]);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.json.error.code, "version_conflict");
    assert.equal(conflict.json.error.details[0].currentVersion, 1);
    assert.equal(await total(stack), 1, "the good event in the failed batch was not written");
    const ok = await api("POST", "/events", order("o-1", { expectedVersion: 1 }));
    assert.deepEqual([ok.status, ok.json.accepted[0].version], [202, 2]);
  } finally {
    await stack.close();
  }
});

Deno.test("bad ingest input gets the right status and error code and changes nothing", async (t) => {
  const stack = await startStack();
  try {
    const { slug, key } = await seedTenant(stack.db.sql);
    const revoked = await createApiKey(stack.db.sql, slug, "old");
    await revokeApiKey(stack.db.sql, revoked.id);
    const off = await seedTenant(stack.db.sql);
    await disableTenant(stack.db.sql, off.slug);
    const json = { "content-type": "application/json" };
    type Case = {
      name: string;
      body: unknown;
      status: number;
      code: string;
      key?: string;
      headers?: Record<string, string>;
      index?: number[];
    };
    const cases: Case[] = [
      {
        name: "wrong type of type",
        body: { type: 5, entity: { type: "order", id: "1" } },
        status: 400,
        code: "validation_failed",
      },
      {
        name: "missing entity",
        body: { type: "order.created" },
        status: 400,
        code: "validation_failed",
      },
      {
        name: "type with capitals and spaces",
        body: order("1", { type: "Order Created" }),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "type without a dot",
        body: order("1", { type: "order" }),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "bad entity type",
        body: { type: "order.created", entity: { type: "Or-der", id: "1" } },
        status: 400,
        code: "validation_failed",
      },
      { name: "empty entity id", body: order(""), status: 400, code: "validation_failed" },
      {
        name: "oversize entity id",
        body: order("x".repeat(201)),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "control characters in the entity id",
        body: order("a\u0007b"),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "control characters in the dedup key",
        body: order("1", { dedupKey: "k\n1" }),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "NUL inside data",
        body: order("1", { data: { note: "a\u0000b" } }),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "non-object data",
        body: order("1", { data: [1, 2] }),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "non-object metadata",
        body: order("1", { metadata: "x" }),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "timestamp that is not a date",
        body: order("1", { timestamp: "yesterday" }),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "timestamp without a zone",
        body: order("1", { timestamp: "2026-11-24T10:00:00" }),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "fractional expectedVersion",
        body: order("1", { expectedVersion: 1.5 }),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "unknown key",
        body: order("1", { priority: "high" }),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "unknown key inside entity",
        body: { type: "order.created", entity: { type: "order", id: "1", x: 1 } },
        status: 400,
        code: "validation_failed",
      },
      {
        name: "a body that is a string",
        body: JSON.stringify("hello"),
        status: 400,
        code: "validation_failed",
      },
      { name: "empty batch", body: [], status: 400, code: "validation_failed" },
      {
        name: "too many events",
        body: Array.from({ length: 1001 }, (_, i) => order(String(i))),
        status: 400,
        code: "validation_failed",
      },
      {
        name: "two bad events among good ones, each listed by index",
        body: [order("1"), order("2", { type: "nope" }), order("3"), order("4", { data: 7 })],
        status: 400,
        code: "validation_failed",
        index: [1, 3],
      },
      {
        name: "oversize body",
        body: [order("1", { data: { blob: "x".repeat(1024 * 1024) } })],
        status: 413,
        code: "payload_too_large",
      },
      { name: "bad JSON", body: '{"type": ', status: 400, code: "bad_request" },
      {
        name: "not JSON",
        body: "type=order.created",
        status: 415,
        code: "unsupported_media_type",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      { name: "no API key", body: order("1"), status: 401, code: "unauthorized", key: "" },
      {
        name: "unknown API key",
        body: order("1"),
        status: 401,
        code: "unauthorized",
        key: "sy_doesnotexist",
      },
      {
        name: "revoked API key",
        body: order("1"),
        status: 401,
        code: "unauthorized",
        key: revoked.key,
      },
      { name: "disabled tenant", body: order("1"), status: 403, code: "forbidden", key: off.key },
    ];
    for (const c of cases) {
      await t.step(`${c.name} → ${c.status} ${c.code}`, async () => {
        const before = await total(stack);
        const res = await fetch(`${stack.base}/api/events`, {
          method: "POST",
          headers: {
            ...json,
            ...(c.key === "" ? {} : { authorization: `Bearer ${c.key ?? key}` }),
            ...c.headers,
          },
          body: typeof c.body === "string" ? c.body : JSON.stringify(c.body),
        });
        const body = await res.json();
        assert.equal(res.status, c.status, JSON.stringify(body));
        assert.equal(body.error.code, c.code);
        assert.ok(body.error.message);
        if (c.index) {
          assert.deepEqual(
            [...new Set(body.error.details.map((d: { index: number }) => d.index))],
            c.index,
          );
        }
        assert.equal(await total(stack), before, "nothing was written");
      });
    }
    const api = client(`${stack.base}/api`, key);
    for (
      const [path, code] of [
        ["/events?cursor=bogus", "bad_request"],
        ["/events?limit=5000", "validation_failed"],
        ["/events?colour=red", "validation_failed"],
        ["/events?from=monday", "validation_failed"],
        ["/trace/Order/1", "validation_failed"],
        ["/trace/order/1?cursor=xyz", "bad_request"],
      ]
    ) {
      await t.step(`GET ${path} → 400 ${code}`, async () => {
        const res = await api("GET", path);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.json.error.code, code);
      });
    }
  } finally {
    await stack.close();
  }
});

Deno.test("over the tenant's events/s the batch is refused with 429 and Retry-After, and not written", async () => {
  const stack = await startStack({ env: { INGEST_TENANT_RATE: "5" } });
  try {
    const { key } = await seedTenant(stack.db.sql);
    const api = client(`${stack.base}/api`, key);
    // Batches of 3 against 5 events/s: the second within a second of the first is over. A loaded
    // machine can take longer than the window between two requests, so a few more are allowed.
    let accepted = 0;
    let refused: Awaited<ReturnType<typeof api>> | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const batch = [0, 1, 2].map((j) => order(`${i}-${j}`));
      const res = await api("POST", "/events", batch);
      if (res.status === 429) {
        refused = res;
      } else {
        assert.equal(res.status, 202, res.text);
        accepted++;
      }
    }
    assert.ok(refused, "no batch was refused");
    assert.ok(accepted >= 1, "the first batch fits the limit");
    assert.equal(refused.json.error.code, "rate_limited");
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    assert.equal(await total(stack), 3 * accepted, "the refused batch was not written");
  } finally {
    await stack.close();
  }
});

Deno.test("over the per-address requests/s, requests are refused with 429 and Retry-After", async () => {
  const stack = await startStack({ env: { INGEST_IP_RATE: "2" } });
  try {
    const { key } = await seedTenant(stack.db.sql);
    const api = client(`${stack.base}/api`, key);
    const statuses: number[] = [];
    let retryAfter = 0;
    for (let i = 0; i < 6; i++) {
      const res = await api("POST", "/events", order(String(i)));
      statuses.push(res.status);
      if (res.status === 429) retryAfter = Number(res.headers.get("retry-after"));
    }
    assert.ok(statuses.includes(429), `statuses: ${statuses}`);
    assert.ok(retryAfter >= 1);
    assert.equal(await total(stack), statuses.filter((s) => s === 202).length);
  } finally {
    await stack.close();
  }
});
