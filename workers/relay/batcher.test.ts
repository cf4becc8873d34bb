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

/** A clock that moves only when told: the policy is asserted in clock time, not wall time. */
function fakeClock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

Deno.test("with nothing in flight a committed transaction is handed over at once", () => {
  const clock = fakeClock();
  const b = new Batcher(500);
  b.add({ endLsn: 1n, events: events(10) }, clock.now());
  assert.equal(b.dueIn(clock.now()), 0, "no wait for the batch to fill");
  assert.equal(b.take()!.events.length, 10);
});

Deno.test("while a hand-over is in flight transactions accumulate, and go the moment it settles", () => {
  const clock = fakeClock();
  const b = new Batcher(500, 50);
  b.add({ endLsn: 1n, events: events(10, 1) }, clock.now());
  clock.advance(50);
  b.inFlight = true;
  assert.equal(b.take()!.events.length, 10);
  for (let i = 0; i < 3; i++) {
    clock.advance(1);
    b.add({ endLsn: BigInt(2 + i), events: events(10, 11 + 10 * i) }, clock.now());
  }
  clock.advance(1_000);
  assert.equal(b.dueIn(clock.now()), Infinity, "nothing is due while one is in flight");
  b.inFlight = false;
  assert.equal(b.dueIn(clock.now()), 0, "due at once when it settles");
  const next = b.take()!;
  assert.deepEqual(next.events.map((e) => e.seq), Array.from({ length: 30 }, (_, i) => 11 + i));
  assert.equal(next.ackLsn, 4n);
});

Deno.test("what arrived during a hand-over does not linger again after it", () => {
  const clock = fakeClock();
  const b = new Batcher(500, 50);
  b.inFlight = true;
  b.add({ endLsn: 1n, events: events(1) }, clock.now());
  clock.advance(2);
  b.inFlight = false;
  assert.equal(b.dueIn(clock.now()), 0);
});

Deno.test("a full batch waits for the hand-over in flight, so commit order holds", () => {
  const clock = fakeClock();
  const b = new Batcher(10);
  b.inFlight = true;
  b.add({ endLsn: 1n, events: events(25) }, clock.now());
  assert.equal(b.dueIn(clock.now()), Infinity);
  b.inFlight = false;
  assert.equal(b.take()!.events.length, 10, "backlog still goes in full batches");
});

Deno.test("an idle relay with a linger waits that long for more, then hands over", () => {
  const clock = fakeClock();
  const b = new Batcher(500, 5);
  b.add({ endLsn: 1n, events: events(1) }, clock.now());
  assert.equal(b.dueIn(clock.now()), 5);
  clock.advance(5);
  assert.equal(b.dueIn(clock.now()), 0);
});
