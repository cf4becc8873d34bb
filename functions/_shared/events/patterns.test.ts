import assert from "node:assert/strict";
import { matchesPattern, patternSchema, patternToLike } from "./patterns.ts";

Deno.test("patterns match exact types, and * stands for any run of characters", () => {
  const cases: [string, string, boolean][] = [
    ["*", "order.confirmed", true],
    ["order.*", "order.confirmed", true],
    ["order.*", "order.item.added", true],
    ["order.*", "orders.confirmed", false],
    ["order.*", "order", false],
    ["order.confirmed", "order.confirmed", true],
    ["order.confirmed", "order.confirmed.late", false],
    ["order.confirmed", "order.created", false],
    ["*.confirmed", "order.confirmed", true],
    ["*.confirmed", "payment.confirmed", true],
    ["*.confirmed", "order.item.confirmed", true],
    ["order.*.added", "order.item.added", true],
    ["order.*.added", "order.item.removed", false],
  ];
  for (const [p, t, want] of cases) assert.equal(matchesPattern(p, t), want, `${p} ~ ${t}`);
});

Deno.test("bad patterns are rejected", () => {
  for (
    const p of ["", "Order.*", "order.", ".order", "order..x", "order.**", "order.%", "ord er"]
  ) assert.equal(patternSchema.safeParse(p).success, false, p);
  for (const p of ["*", "order.*", "order.confirmed", "*.confirmed", "a_b.c_d"]) {
    assert.equal(patternSchema.safeParse(p).success, true, p);
  }
});

Deno.test("patterns become LIKE patterns with LIKE's wildcards escaped", () => {
  assert.equal(patternToLike("order.*"), "order.%");
  assert.equal(patternToLike("*.created"), "%.created");
  assert.equal(patternToLike("order_line.*"), "order\\_line.%");
  assert.equal(patternToLike("order.created"), "order.created");
});
