import assert from "node:assert/strict";
import { parseIngestBody } from "./ingest.ts";
import { AppError } from "../errors.ts";

const ok = { type: "order.created", entity: { type: "order", id: "o-1" } };

Deno.test("one event or a batch becomes events of the caller's tenant with the correlation id", () => {
  const [e] = parseIngestBody({ ...ok, timestamp: "2026-11-24T12:00:00+01:00" }, "acme", "c-1");
  assert.deepEqual([e.tenant, e.correlationId, e.timestamp], [
    "acme",
    "c-1",
    "2026-11-24T11:00:00.000Z",
  ]);
  assert.equal(parseIngestBody([ok, ok], "acme", null).length, 2);
});

Deno.test("every invalid event is listed by index and path", () => {
  try {
    parseIngestBody(
      [ok, { ...ok, type: "x" }, ok, { ...ok, entity: { type: "order" }, extra: 1 }],
      "acme",
      null,
    );
    assert.fail("should throw");
  } catch (err) {
    assert.ok(err instanceof AppError && err.status === 400);
    const where = err.details.map((d) => `${d.index}:${d.path}`);
    assert.ok(where.includes("1:type"));
    assert.ok(where.includes("3:entity.id"));
    assert.ok(
      where.some((w) => w.startsWith("3:")) &&
        where.every((w) => !w.startsWith("0:") && !w.startsWith("2:")),
    );
  }
});

Deno.test("strings Postgres cannot store as jsonb are refused, deep inside data too", () => {
  assert.throws(
    () => parseIngestBody({ ...ok, data: { a: [{ b: "x\u0000" }] } }, "acme", null),
    AppError,
  );
  assert.throws(
    () => parseIngestBody({ ...ok, metadata: { "\ud800": 1 } }, "acme", null),
    AppError,
  );
  assert.doesNotThrow(() =>
    parseIngestBody({ ...ok, data: { note: "line 1\nline 2" } }, "acme", null)
  );
});

Deno.test("the fast path and zod agree: anything unusual is decided and worded by the schema", () => {
  const full = {
    ...ok,
    timestamp: "2026-11-24T12:00:00+01:00",
    dedupKey: "k-1",
    expectedVersion: 3,
    data: { a: [1, { b: "c" }] },
    metadata: { m: null },
  };
  const [e] = parseIngestBody(full, "acme", null);
  assert.deepEqual(e, {
    tenant: "acme",
    type: "order.created",
    entity: { type: "order", id: "o-1" },
    timestamp: "2026-11-24T11:00:00.000Z",
    dedupKey: "k-1",
    expectedVersion: 3,
    correlationId: null,
    data: full.data,
    metadata: full.metadata,
  });
  const bad: unknown[] = [
    null,
    [],
    "x",
    { ...ok, extra: 1 },
    { ...ok, entity: { ...ok.entity, extra: 1 } },
    { ...ok, timestamp: null },
    { ...ok, timestamp: "2026-11-24" },
    { ...ok, expectedVersion: 1.5 },
    { ...ok, expectedVersion: -1 },
    { ...ok, dedupKey: "" },
    { ...ok, dedupKey: "a\nb" },
    { ...ok, data: [] },
    { ...ok, metadata: null },
    { ...ok, entity: { type: "Order", id: "o" } },
    { ...ok, entity: { type: "order", id: "x".repeat(201) } },
    JSON.parse(`{"type":"a.b","entity":{"type":"o","id":"1"},"__proto__":{}}`),
  ];
  for (const [i, b] of bad.entries()) {
    assert.throws(
      () => parseIngestBody(b, "acme", null),
      (err) => err instanceof AppError && err.status === 400,
      `case ${i}`,
    );
  }
});
