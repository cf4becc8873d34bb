import assert from "node:assert/strict";
import { isUnavailable, reconnectBackoffS, viaDatabase } from "./db.ts";
import { DeadlineError } from "./deadline.ts";
import { BreakerOpenError, CircuitBreaker } from "./breaker.ts";

Deno.test("the reconnect backoff never exceeds half a second, however many tries failed", () => {
  for (let retries = 0; retries < 100; retries++) {
    assert.ok(reconnectBackoffS(retries, () => 1) <= 0.5);
  }
  assert.ok(reconnectBackoffS(0, () => 0) > 0);
});

Deno.test("a call past its deadline counts as the database being unavailable", () => {
  assert.ok(isUnavailable(new DeadlineError("database", 5_000)));
  assert.ok(!isUnavailable(new Error("syntax error at or near")));
  assert.ok(!isUnavailable(new DeadlineError("fast store GET", 500)), "the fast store's is not");
});

Deno.test("a connection that timed out opens the breaker at once when the probe gets no answer either, and not when it does", async () => {
  const timedOut = () =>
    Promise.reject(Object.assign(new Error("connect"), { code: "CONNECT_TIMEOUT" }));
  for (const answered of [true, false]) {
    const asked: boolean[] = [];
    const ctx = {
      breakers: { db: new CircuitBreaker("database", { failureThreshold: 3 }) },
      dbProbe: () => (asked.push(answered), Promise.resolve(answered)),
    } as unknown as Parameters<typeof viaDatabase>[0];
    await assert.rejects(viaDatabase(ctx, timedOut), /connect/);
    assert.deepEqual(asked, [answered], "the probe was asked");
    assert.equal(ctx.breakers.db.state, answered ? "closed" : "open");
    if (!answered) await assert.rejects(viaDatabase(ctx, timedOut), BreakerOpenError);
  }
});
