import assert from "node:assert/strict";
import type { EventEnvelope } from "../events/envelope.ts";
import { escapeHtml, MAX_VALUE_CHARS, renderHtml } from "./render.ts";
import {
  renderMessage,
  shippedEventTypes,
  telegramTransformSchema,
  templateFor,
} from "./templates.ts";

function sampleEvent(over: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: "evt_1",
    type: "order.confirmed",
    timestamp: "2026-11-24T10:30:00.000Z",
    tenant: "acme",
    entity: { type: "order", id: "o-123" },
    version: 3,
    recordedAt: "2026-11-24T10:30:00.012Z",
    dedupKey: null,
    correlationId: null,
    causationId: null,
    data: {},
    metadata: {},
    ...over,
  };
}

Deno.test("escapeHtml escapes <, >, &, and both quotes", () => {
  assert.equal(
    escapeHtml(`<b>"Tom" & 'Jerry'</b>`),
    "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;",
  );
});

Deno.test("event values are escaped, the template's own markup is kept", () => {
  const event = sampleEvent({
    entity: { type: "order", id: "<b>x</b>" },
    data: { note: "a & b", nested: { v: "<i>" } },
  });
  assert.equal(
    renderHtml(
      "<b>{{entity.id}}</b> {{data.note}} {{data.nested.v | upper}} {{data.missing}}",
      event,
    ),
    "<b>&lt;b&gt;x&lt;/b&gt;</b> a &amp; b &lt;I&gt; —",
  );
});

Deno.test("a formatted or structured value is escaped after formatting", () => {
  const event = sampleEvent({ data: { items: [{ sku: "<a>" }], total: 12.5 } });
  assert.equal(
    renderHtml("{{data.items}} {{data.total | fixed2}}", event),
    "[{&quot;sku&quot;:&quot;&lt;a&gt;&quot;}] 12.50",
  );
});

Deno.test("long values are cut so one field cannot blow the message size", () => {
  const out = renderHtml("{{data.x}}", sampleEvent({ data: { x: "&".repeat(5_000) } }));
  assert.equal(out, `${"&amp;".repeat(MAX_VALUE_CHARS - 1)}…`);
});

Deno.test("default templates speak Spanish unless the endpoint says English", () => {
  const event = sampleEvent();
  assert.equal(
    renderMessage(event, telegramTransformSchema.parse({})),
    "✅ Tu orden o-123 ha sido confirmada",
  );
  assert.equal(
    renderMessage(event, telegramTransformSchema.parse({ language: "en" })),
    "✅ Your order o-123 has been confirmed",
  );
});

Deno.test("per-type templates beat the endpoint's text, which beats the defaults; unknown types get the generic one", () => {
  const transform = telegramTransformSchema.parse({
    templates: { "order.confirmed": "OK {{entity.id}} ({{data.total}})" },
  });
  assert.equal(
    renderMessage(sampleEvent({ data: { total: "<9>" } }), transform),
    "OK o-123 (&lt;9&gt;)",
  );
  assert.equal(
    renderMessage(
      sampleEvent({ type: "invoice.paid", entity: { type: "invoice", id: "i&1" } }),
      transform,
    ),
    "🔔 <b>invoice.paid</b> · invoice i&amp;1",
  );
  const withText = telegramTransformSchema.parse({
    text: "{{type}}!",
    templates: { "order.created": "new" },
  });
  assert.equal(renderMessage(sampleEvent(), withText), "order.confirmed!");
  assert.equal(renderMessage(sampleEvent({ type: "order.created" }), withText), "new");
});

Deno.test("every shipped event type has a template in both languages", () => {
  for (
    const type of [
      "order.created",
      "order.confirmed",
      "order.rejected",
      "order.cancelled",
      "product.stock_reserved",
      "delivery.dead",
      "dto.conciliation_exhausted",
      "metrics.anomaly",
    ]
  ) {
    assert.ok(shippedEventTypes.includes(type), type);
    const es = templateFor(type, telegramTransformSchema.parse({ language: "es" }));
    assert.notEqual(es, templateFor(type, telegramTransformSchema.parse({ language: "en" })), type);
  }
});
