import assert from "node:assert/strict";
import type { LoggedEvent } from "../events/envelope.ts";
import { fold, groupByKey, mergeApplied, versionOf } from "./coalesce.ts";
// A real user DTO: the bank example's, loaded as any deployment's.
import customerPosition from "../../../examples/bank/dtos/customer-position.ts";
import { createRegistry } from "./registry.ts";

let seq = 0;
function ev(
  type: string,
  entity: [string, string],
  version: number,
  data: Record<string, unknown>,
  tenant = "acme",
): LoggedEvent {
  seq++;
  return {
    seq,
    id: `evt_${seq}`,
    type,
    timestamp: "2026-11-24T10:00:00.000Z",
    tenant,
    entity: { type: entity[0], id: entity[1] },
    version,
    recordedAt: "2026-11-24T10:00:00.000Z",
    dedupKey: null,
    correlationId: null,
    causationId: null,
    data,
    metadata: {},
  };
}
const customer = (id: string) => ({
  customer_id: id,
  full_name: "Ana",
  segment: "retail",
  email: null,
  phone: null,
});
const account = (id: string, owner: string) => ({
  account_id: id,
  customer_id: owner,
  product: "checking",
  currency: "EUR",
  status: "active",
});
const balance = (id: string, available: number) => ({
  account_id: id,
  available,
  ledger: available,
  updated_at: `2026-11-24T10:00:${String(available % 60).padStart(2, "0")}Z`,
});

Deno.test("a burst for one key is one group, in log order, across entities", () => {
  const events = [
    ev("customer.created", ["customer", "c1"], 1, { new: customer("c1") }),
    ev("account.created", ["account", "a1"], 1, { new: account("a1", "c1") }),
    ...Array.from(
      { length: 50 },
      (_, i) => ev("balance.updated", ["balance", "a1"], i + 1, { new: balance("a1", i) }),
    ),
    ev("customer.created", ["customer", "c2"], 1, { new: customer("c2") }),
    ev("customer.created", ["customer", "c1"], 1, { new: customer("c1") }, "other"),
  ];
  const groups = groupByKey(
    events,
    createRegistry([customerPosition]),
    (def, e) => def.keysOf(e, new Map([["a1", "c1"]])),
  );
  assert.deepEqual(groups.map((g) => [g.tenant, g.key, g.events.length]), [["acme", "c1", 52], [
    "acme",
    "c2",
    1,
  ], ["other", "c1", 1]]);
});

Deno.test("an account moving between customers feeds both", () => {
  const moved = ev("account.updated", ["account", "a1"], 2, {
    new: account("a1", "c2"),
    old: account("a1", "c1"),
  });
  const groups = groupByKey(
    [moved],
    createRegistry([customerPosition]),
    (def, e) => def.keysOf(e, new Map()),
  );
  assert.deepEqual(groups.map((g) => g.key).sort(), ["c1", "c2"]);
});

Deno.test("one fold applies each event once, skips what the DTO already holds, and notes jumps", () => {
  const events = [
    ev("customer.created", ["customer", "c1"], 1, { new: customer("c1") }),
    ev("account.created", ["account", "a1"], 1, { new: account("a1", "c1") }),
    ev("balance.created", ["balance", "a1"], 1, { new: balance("a1", 10) }),
    ev("balance.updated", ["balance", "a1"], 2, { new: balance("a1", 20) }),
  ];
  const first = fold(customerPosition, "c1", null, {}, events);
  assert.equal(first.count, 4);
  assert.deepEqual(first.applied, { "customer:c1": 1, "account:a1": 1, "balance:a1": 2 });
  assert.equal(versionOf(first.applied), 4);
  assert.deepEqual(first.state?.totals, { EUR: { available: 20, ledger: 20 } });

  const replay = fold(customerPosition, "c1", first.state, first.applied, events);
  assert.equal(replay.count, 0, "a replayed batch changes nothing");

  const later = fold(customerPosition, "c1", first.state, first.applied, [
    ev("balance.updated", ["balance", "a1"], 5, { new: balance("a1", 50) }),
  ]);
  assert.deepEqual(later.jumps, [{ ref: "balance:a1", after: 2, before: 5 }]);
});

Deno.test("a reducer that cannot apply an event throws with the event", () => {
  const orphan = ev("balance.updated", ["balance", "a9"], 1, { new: balance("a9", 1) });
  assert.throws(
    () => fold(customerPosition, "c1", null, {}, [orphan]),
    (err: Error & { event?: LoggedEvent }) => err.event?.id === orphan.id,
  );
});

Deno.test("merged versions never go back, so the version only grows", () => {
  const stored = { "customer:c1": 3, "account:a1": 4 };
  const merged = mergeApplied(stored, { "customer:c1": 7 });
  assert.deepEqual(merged, { "customer:c1": 7, "account:a1": 4 });
  assert.ok(versionOf(merged) > versionOf(stored));
});
