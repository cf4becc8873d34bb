import assert from "node:assert/strict";
import { filterSchema, matchesFilter, matchesPattern, patternSchema } from "./patterns.ts";

Deno.test("patterns match exact types, and * stands for any run of characters", () => {
  const cases: [string, string, boolean][] = [
    ["*", "order.confirmed", true], ["order.*", "order.confirmed", true], ["order.*", "order.item.added", true],
    ["order.*", "orders.confirmed", false], ["order.*", "order", false], ["order.confirmed", "order.confirmed", true],
    ["order.confirmed", "order.confirmed.late", false], ["order.confirmed", "order.created", false],
    ["*.confirmed", "order.confirmed", true], ["*.confirmed", "payment.confirmed", true], ["*.confirmed", "order.item.confirmed", true],
    ["order.*.added", "order.item.added", true], ["order.*.added", "order.item.removed", false],
  ];
  for (const [p, t, want] of cases) assert.equal(matchesPattern(p, t), want, `${p} ~ ${t}`);
});

Deno.test("bad patterns are rejected", () => {
  for (const p of ["", "Order.*", "order.", ".order", "order..x", "order.**", "order.%", "ord er"]) assert.equal(patternSchema.safeParse(p).success, false, p);
  for (const p of ["*", "order.*", "order.confirmed", "*.confirmed", "a_b.c_d"]) assert.equal(patternSchema.safeParse(p).success, true, p);
});

Deno.test("filters compare event fields for equality, arrays meaning any of", () => {
  const event = { type: "order.updated", data: { status: "CONFIRMED", total: 10, items: [{ sku: "A" }] } };
  assert.equal(matchesFilter({ "data.status": "CONFIRMED" }, event), true);
  assert.equal(matchesFilter({ "data.status": "CANCELLED" }, event), false);
  assert.equal(matchesFilter({ "data.status": ["CANCELLED", "CONFIRMED"], "data.total": 10 }, event), true);
  assert.equal(matchesFilter({ "data.items[0].sku": "A" }, event), true);
  assert.equal(matchesFilter({ "data.missing": null }, event), false);
  assert.equal(matchesFilter(null, event), true);
  assert.equal(filterSchema.safeParse({ "data..x": 1 }).success, false);
});
