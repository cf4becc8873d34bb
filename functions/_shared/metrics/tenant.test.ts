import assert from "node:assert/strict";
import { hourFloor, shapeTenantMetrics } from "./tenant.ts";

Deno.test("an entity type named like an object's own property is counted as any other", () => {
  const now = Date.parse("2026-11-24T12:30:00Z");
  const hour = new Date(hourFloor(now));
  const row = (entityType: string, events: number) => ({
    type: `${entityType}.built`,
    entityType,
    hour,
    events,
    lastHour: events,
    lastDay: events,
  });
  const m = shapeTenantMetrics("acme", now, null, [row("constructor", 2), row("order", 3)], [
    { type: "constructor.built", entityType: "constructor", events: 5 },
  ]);
  assert.deepEqual(m.byEntityType, {
    constructor: { total: 7, lastHour: 2, last24h: 2 },
    order: { total: 3, lastHour: 3, last24h: 3 },
  });
  assert.deepEqual(m.events, { total: 10, lastHour: 5, last24h: 5 });
  assert.equal(({} as Record<string, unknown>).total, undefined, "nothing leaked onto objects");
  assert.equal((Object as unknown as Record<string, unknown>).total, undefined);
});
