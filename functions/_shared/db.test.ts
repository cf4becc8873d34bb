import assert from "node:assert/strict";
import { isUnavailable, reconnectBackoffS } from "./db.ts";
import { DeadlineError } from "./deadline.ts";

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
