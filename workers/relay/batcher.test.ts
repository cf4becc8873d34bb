import assert from "node:assert/strict";
import type { LoggedEvent } from "../../functions/_shared/events/envelope.ts";
import { Batcher } from "./batcher.ts";

const events = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => ({ seq: from + i }) as LoggedEvent);

Deno.test("a batch is due when full or when its oldest transaction has waited long enough", () => {
  const b = new Batcher(10, 50);
  assert.equal(b.dueIn(0), Infinity);
  b.add({ endLsn: 1n, events: events(3) }, 100);
  assert.equal(b.dueIn(120), 30);
  assert.equal(b.dueIn(200), 0);
  b.add({ endLsn: 2n, events: events(7) }, 130);
  assert.equal(b.dueIn(131), 0);
});

Deno.test("whole transactions are taken in commit order and acknowledged by their end LSN", () => {
  const b = new Batcher(10, 50);
  b.add({ endLsn: 10n, events: events(4, 1) }, 0);
  b.add({ endLsn: 20n, events: events(4, 5) }, 0);
  b.add({ endLsn: 30n, events: events(4, 9) }, 0);
  const first = b.take()!;
  assert.deepEqual(first.events.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(first.ackLsn, 20n, "the third transaction is only half taken");
  const second = b.take()!;
  assert.deepEqual(second.events.map((e) => e.seq), [11, 12]);
  assert.equal(second.ackLsn, 30n);
  assert.equal(b.take(), null);
  assert.ok(b.empty);
});

Deno.test("a transaction larger than a batch is acknowledged only after its last part", () => {
  const b = new Batcher(10, 50);
  b.add({ endLsn: 99n, events: events(25) }, 0);
  assert.equal(b.take()!.ackLsn, null);
  assert.equal(b.dueIn(1), 0, "the rest of a started transaction is due at once");
  assert.equal(b.take()!.ackLsn, null);
  const last = b.take()!;
  assert.equal(last.events.length, 5);
  assert.equal(last.ackLsn, 99n);
});

Deno.test("a transaction without events still moves the acknowledgement", () => {
  const b = new Batcher(10, 0);
  b.add({ endLsn: 7n, events: [] }, 0);
  assert.equal(b.dueIn(0), 0);
  assert.deepEqual(b.take(), { events: [], ackLsn: 7n });
});
