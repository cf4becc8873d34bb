import assert from "node:assert/strict";
import { retryDelayMs } from "./retry.ts";

Deno.test("retry delays double from the base and stop at the cap", () => {
  const none = () => 0;
  assert.deepEqual([0, 1, 2, 3, 10].map((a) => retryDelayMs(a, {}, none)), [
    100,
    200,
    400,
    800,
    5_000,
  ]);
  assert.equal(retryDelayMs(3, { baseMs: 1_000, maxMs: 60_000 }, none), 8_000);
  assert.equal(retryDelayMs(1_000, { baseMs: 1_000, maxMs: 60_000 }, none), 60_000);
});

Deno.test("jitter only shortens a delay, by at most a fifth", () => {
  assert.equal(retryDelayMs(2, {}, () => 1), 320);
  for (let i = 0; i < 100; i++) {
    const d = retryDelayMs(4);
    assert.ok(d <= 1_600 && d >= 1_280, String(d));
  }
});
