import assert from "node:assert/strict";
import { filterSchema, matchesFilter } from "./filters.ts";

Deno.test("filters compare event fields for equality, arrays meaning any of", () => {
  const event = {
    type: "order.updated",
    data: { status: "CONFIRMED", total: 10, items: [{ sku: "A" }] },
  };
  assert.equal(matchesFilter({ "data.status": "CONFIRMED" }, event), true);
  assert.equal(matchesFilter({ "data.status": "CANCELLED" }, event), false);
  assert.equal(
    matchesFilter({ "data.status": ["CANCELLED", "CONFIRMED"], "data.total": 10 }, event),
    true,
  );
  assert.equal(matchesFilter({ "data.items[0].sku": "A" }, event), true);
  assert.equal(matchesFilter({ "data.missing": null }, event), false);
  assert.equal(matchesFilter(null, event), true);
  assert.equal(filterSchema.safeParse({ "data..x": 1 }).success, false);
});
