import assert from "node:assert/strict";
import fc from "fast-check";
import { handoverBatchSchema, parseHandover } from "./batch.ts";
import { AppError } from "../errors.ts";

const event = (i: number) => ({
  seq: 100 + i,
  id: `evt_${i}`,
  type: "order.confirmed",
  timestamp: "2026-12-02T01:55:45.123Z",
  tenant: "acme",
  entity: { type: "order", id: `o-${i}` },
  version: 1 + i,
  recordedAt: "2026-12-02T01:55:45.200Z",
  dedupKey: null,
  correlationId: "c-1",
  causationId: null,
  data: { total: 42.5, lines: [{ sku: "a" }] },
  metadata: {},
});

/** Values a broken or hostile sender might put anywhere in a hand-over. */
const oddValue = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    "",
    "Nope",
    "a.b",
    "\u0000",
    "\ud800",
    "x".repeat(201),
    "2026-13-02T01:55:45Z",
    "2026-12-02T01:55:45",
    "2026-02-30T00:00:00Z",
    "2026-12-02T01:55:45+01:00",
    0,
    -1,
    1.5,
    2 ** 31,
    2 ** 53,
    [],
    {},
    { type: "order" },
    { type: "order", id: "o", extra: 1 },
  ),
  fc.jsonValue(),
);
const key = fc.constantFrom(...Object.keys(event(0)), "extra");
const mutation = fc.oneof(
  fc.record({ op: fc.constant("set" as const), key, value: oddValue }),
  fc.record({ op: fc.constant("delete" as const), key }),
);

Deno.test("the hand-over's fast check accepts exactly what its schema accepts, and passes events on unchanged", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(mutation, { maxLength: 3 }), { minLength: 1, maxLength: 4 }),
      (mutationsPerEvent) => {
        const events: Record<string, unknown>[] = mutationsPerEvent.map((ms, i) => {
          const e: Record<string, unknown> = event(i);
          for (const m of ms) {
            if (m.op === "delete") delete e[m.key];
            else e[m.key] = m.value;
          }
          return e;
        });
        // What the relay's JSON carries: undefined values are dropped, as on the wire.
        const body = JSON.parse(JSON.stringify({ events }));
        const schema = handoverBatchSchema.safeParse(body);
        let accepted: unknown;
        try {
          accepted = parseHandover(body);
        } catch (err) {
          assert.ok(err instanceof AppError, String(err));
          assert.equal(err.code, "validation_failed");
          assert.equal(
            schema.success,
            false,
            `refused, yet the schema accepts ${JSON.stringify(body)}`,
          );
          return;
        }
        assert.ok(schema.success, `accepted, yet the schema refuses ${JSON.stringify(body)}`);
        assert.deepEqual(accepted, schema.data);
      },
    ),
    { numRuns: 2_000 },
  );
});

Deno.test("a valid hand-over of many events passes; one bad event among them is named by its index", () => {
  const events = Array.from({ length: 500 }, (_, i) => event(i));
  assert.equal(parseHandover({ events }).events.length, 500);
  const bad = structuredClone(events);
  bad[321].version = 0;
  assert.throws(
    () => parseHandover({ events: bad }),
    (err: AppError) => err.details.some((d) => d.path === "events.321.version"),
  );
});
