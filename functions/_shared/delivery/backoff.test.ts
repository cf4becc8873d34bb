import assert from "node:assert/strict";
import { afterFailure, defaultRetrySchedule } from "./backoff.ts";

Deno.test("the default schedule waits 1, 2, 4, 8, 16 s, then dead-letters", () => {
  const steps = [1, 2, 3, 4, 5, 6].map((t) => afterFailure(t, defaultRetrySchedule));
  assert.deepEqual(steps, [
    { kind: "retry", delayMs: 1000 },
    { kind: "retry", delayMs: 2000 },
    { kind: "retry", delayMs: 4000 },
    { kind: "retry", delayMs: 8000 },
    { kind: "retry", delayMs: 16000 },
    { kind: "dead" },
  ]);
});

Deno.test("Retry-After lengthens a wait but never shortens it; permanent failures die at once", () => {
  assert.deepEqual(afterFailure(1, [1000], { retryAfterMs: 5000 }), {
    kind: "retry",
    delayMs: 5000,
  });
  assert.deepEqual(afterFailure(1, [1000], { retryAfterMs: 10 }), { kind: "retry", delayMs: 1000 });
  assert.deepEqual(afterFailure(1, [1000], { permanent: true }), { kind: "dead" });
  assert.deepEqual(afterFailure(1, []), { kind: "dead" });
});
