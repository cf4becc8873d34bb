import assert from "node:assert/strict";
import { judge, mad, median } from "./anomaly.ts";

Deno.test("median and MAD of odd, even and empty samples", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), 0);
  assert.equal(mad([1, 1, 2, 2, 4, 6, 9]), 1);
});

Deno.test("a spike far above the same hour of past days is an anomaly", () => {
  const v = judge(400, [100, 96, 104, 99, 101, 98, 103])!;
  assert.equal(v.anomaly, true);
  assert.equal(v.direction, "spike");
  assert.equal(v.median, 100);
  assert.ok(v.score > 20);
});

Deno.test("ordinary noise around the median is not an anomaly", () => {
  for (const value of [85, 100, 118]) {
    assert.equal(judge(value, [100, 96, 104, 99, 101, 98, 103])!.anomaly, false);
  }
});

Deno.test("a flat history still allows Poisson noise (MAD of 0 does not divide by zero)", () => {
  assert.equal(judge(112, [100, 100, 100, 100])!.anomaly, false);
  assert.equal(judge(160, [100, 100, 100, 100])!.anomaly, true);
});

Deno.test("a drop to nothing is an anomaly, small counts are not", () => {
  const drop = judge(0, [120, 118, 125, 122])!;
  assert.equal(drop.anomaly, true);
  assert.equal(drop.direction, "drop");
  assert.equal(judge(6, [0, 0, 1, 0])!.anomaly, false);
});

Deno.test("one earlier spike in the history does not mask the next one", () => {
  assert.equal(judge(500, [100, 480, 102, 98, 101])!.anomaly, true);
});

Deno.test("too little history gives no verdict", () => {
  assert.equal(judge(1000, [10, 10]), null);
});
