import assert from "node:assert/strict";
import { render, renderText, templateProblems, transformSchema, xmlEscape } from "./transform.ts";

const event = {
  id: "evt_1",
  type: "order.confirmed",
  timestamp: "2026-11-24T10:30:00.000Z",
  tenant: "acme",
  entity: { type: "order", id: "o-123" },
  version: 3,
  data: { total: "42.5", customer: { name: "Ana <Ltd>" }, items: [{ sku: "ab-1", qty: 2 }] },
};

Deno.test("a JSON template picks paths, keeps types, formats and copies constants", () => {
  const body = render({
    orderId: "{{entity.id}}",
    total: "{{data.total | number}}",
    sku: { $path: "data.items[0].sku", $format: "upper" },
    missing: { $path: "data.nope", $default: "n/a" },
    note: "Order {{entity.id}} v{{version}}",
    day: "{{timestamp | date}}",
    fixed: { $const: "{{not a placeholder}}" },
    lines: [{ qty: "{{data.items[0].qty}}" }],
    source: "switchyard",
    n: 1,
    whole: "{{data.customer}}",
  }, event);
  assert.deepEqual(body, {
    orderId: "o-123",
    total: 42.5,
    sku: "AB-1",
    missing: "n/a",
    note: "Order o-123 v3",
    day: "2026-11-24",
    fixed: "{{not a placeholder}}",
    lines: [{ qty: 2 }],
    source: "switchyard",
    n: 1,
    whole: { name: "Ana <Ltd>" },
  });
});

Deno.test("text templates escape inserted values when asked", () => {
  assert.equal(
    renderText("<name>{{data.customer.name | upper}}</name>", event, xmlEscape),
    "<name>ANA &lt;LTD&gt;</name>",
  );
  assert.equal(
    renderText("at {{timestamp | unix}} / {{data.total | fixed2}}", event),
    "at 1795516200 / 42.50",
  );
});

Deno.test("bad paths and unknown formats are reported", () => {
  assert.deepEqual(templateProblems({ a: "{{data..x}}", b: { $path: "x", $format: "shout" } }), [
    'bad path "data..x"',
    'unknown format "shout"',
  ]);
  assert.equal(transformSchema.safeParse({ body: { a: "{{data.total | nope}}" } }).success, false);
  assert.equal(transformSchema.safeParse({ surprise: 1 }).success, false);
  assert.equal(
    transformSchema.safeParse({ method: "PUT", body: { a: "{{data.total}}" } }).success,
    true,
  );
});
