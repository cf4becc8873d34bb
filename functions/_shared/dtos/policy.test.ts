import assert from "node:assert/strict";
import { defaultPolicy, deferredDelayMs, nextAttemptDelay, totalAttempts } from "./policy.ts";

Deno.test("deferred conciliation retries back off exponentially up to a cap", () => {
  const p = { ...defaultPolicy, deferredBaseMs: 1_000, deferredFactor: 2, deferredMaxMs: 5_000 };
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => deferredDelayMs(n, p)), [
    1_000,
    2_000,
    4_000,
    5_000,
    5_000,
  ]);
});

Deno.test("after the immediate tries come the deferred ones, then none", () => {
  const p = {
    ...defaultPolicy,
    immediateAttempts: 3,
    deferredAttempts: 3,
    deferredBaseMs: 100,
    deferredFactor: 3,
  };
  assert.equal(totalAttempts(p), 6);
  assert.deepEqual([0, 3, 4, 5, 6, 7].map((a) => nextAttemptDelay(a, p)), [
    100,
    100,
    300,
    900,
    null,
    null,
  ]);
});
