import assert from "node:assert/strict";
import { alertEvents, alertKey, measure, transitions } from "./alerts.ts";

const health = (lagMs: number, exhausted = 0) => ({
  relay: { lag_ms: lagMs, lag_events: 3 },
  conciliations: { pending: 0, exhausted },
});

Deno.test("conditions fire over their thresholds only", () => {
  const c = measure(health(31_000, 2), [
    { tenant: "acme", attempts: 200, failed: 3, dead: 0 },
    { tenant: "globex", attempts: 5, failed: 5, dead: 1 },
  ], [{ name: "database", state: "closed" }, {
    name: "endpoint:ep_1",
    state: "open",
    tenant: "acme",
  }]);
  const firing = c.filter((x) => x.firing).map(alertKey).sort();
  assert.deepEqual(firing, [
    "breaker_open|acme|breaker:endpoint:ep_1",
    "conciliation_exhausted|*|conciliations",
    "dead_letters|globex|dead_letters",
    "delivery_error_rate|acme|deliveries",
    "relay_lag|*|relay",
  ]);
  assert.equal(
    measure(health(30_000), [], []).filter((x) => x.firing).length,
    0,
    "30 s exactly is not over 30 s",
  );
});

Deno.test("an episode alerts once, stays quiet while open, and resolves once", () => {
  const firing = measure(health(45_000), [], []);
  const first = transitions([], firing);
  assert.equal(first.fire.length, 1);
  const open = first.fire.map((c) => ({
    key: alertKey(c),
    kind: c.kind,
    tenant: c.tenant,
    subject: c.subject,
  }));
  assert.deepEqual(transitions(open, measure(health(60_000), [], [])), { fire: [], resolve: [] });
  const calm = transitions(open, measure(health(100), [], []));
  assert.equal(calm.fire.length, 0);
  assert.deepEqual(calm.resolve.map((o) => o.key), ["relay_lag|*|relay"]);
});

Deno.test("system-wide alerts go to every tenant, tenant alerts to their tenant, under a system entity", () => {
  const [lag] = measure(health(45_000), [], []);
  const [rate] = measure({}, [{ tenant: "acme", attempts: 100, failed: 50, dead: 0 }], []);
  const events = alertEvents(
    [lag, rate],
    [{
      key: "dead_letters|acme|dead_letters",
      kind: "dead_letters",
      tenant: "acme",
      subject: "dead_letters",
    }],
    ["acme", "globex"],
    "2026-11-24T10:00:00.000Z",
  );
  assert.deepEqual(events.map((e) => [e.tenant, e.type, e.entity.type, e.entity.id]), [
    ["acme", "alert.relay_lag", "system", "relay"],
    ["globex", "alert.relay_lag", "system", "relay"],
    ["acme", "alert.delivery_error_rate", "system", "deliveries"],
    ["acme", "alert.resolved", "system", "dead_letters"],
  ]);
  assert.equal(
    new Set(events.map((e) => `${e.tenant} ${e.dedupKey}`)).size,
    events.length,
    "dedup keys are unique per tenant",
  );
});
