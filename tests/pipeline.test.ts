/** POST /pipeline/batch: the relay's hand-over, service key only, validated, idempotent. */
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";
import { envelopeSelect, type EventRow, rowToEvent } from "../functions/_shared/events/envelope.ts";

Deno.test("a hand-over is accepted once, records the relay position, and a replay changes nothing", async () => {
  const stack = await startStack({ store: "memory" });
  try {
    const { slug, key } = await seedTenant(stack.db.sql);
    await appendEvents(
      stack.db.sql,
      Array.from({ length: 5 }, (_, i) => ({
        tenant: slug,
        type: "order.created",
        entity: { type: "order", id: `o-${i}` },
        data: { i },
      })),
    );
    const rows = await stack.db.sql.unsafe<EventRow[]>(
      `select ${envelopeSelect} from switchyard.events e order by e.seq`,
    );
    const events = rows.map(rowToEvent);
    const service = client(stack.base, SERVICE_KEY);

    const first = await service("POST", "/pipeline/batch", { events });
    assert.equal(first.status, 200, first.text);
    assert.equal(typeof first.json.routed, "number");
    assert.equal(typeof first.json.composed, "number");
    const state = () =>
      stack.db.sql<
        { last_seq: string; handed_over: string }[]
      >`select last_seq, handed_over from switchyard.relay_state`;
    const [after] = await state();
    assert.equal(Number(after.last_seq), events.at(-1)!.seq);
    assert.equal(Number(after.handed_over), 5);

    const again = await service("POST", "/pipeline/batch", { events });
    assert.equal(again.status, 200);
    assert.equal(again.json.routed, 0);
    const [replayed] = await state();
    assert.equal(replayed.last_seq, after.last_seq);

    const [{ n }] = await stack.db.sql<
      { n: number }[]
    >`select count(*)::int as n from switchyard.events`;
    assert.equal(n, 5);

    assert.equal(
      (await client(stack.base, key)("POST", "/pipeline/batch", { events })).status,
      401,
    );
    assert.equal(
      (await client(stack.base, "nope")("POST", "/pipeline/batch", { events })).status,
      401,
    );
  } finally {
    await stack.close();
  }
});

Deno.test("a malformed hand-over is refused with every problem listed and records nothing", async () => {
  const stack = await startStack({ store: "memory" });
  try {
    const service = client(stack.base, SERVICE_KEY);
    const bad = await service("POST", "/pipeline/batch", {
      events: [{ id: "evt_1", seq: -1, type: "Nope" }],
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, "validation_failed");
    assert.ok(bad.json.error.details.length >= 3, JSON.stringify(bad.json.error.details));
    assert.equal((await service("POST", "/pipeline/batch", "{not json")).status, 400);
    assert.equal((await service("POST", "/pipeline/batch", {})).status, 400);
    const [s] = await stack.db.sql<
      { handed_over: string }[]
    >`select handed_over from switchyard.relay_state`;
    assert.equal(Number(s.handed_over), 0);
  } finally {
    await stack.close();
  }
});
