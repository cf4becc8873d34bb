import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { emitAndRoute, withDeliveryStack } from "./delivery-fixtures.ts";

Deno.test("REST, SOAP and GraphQL bodies arrive exactly as templated, with content types and auth headers", async () => {
  await withDeliveryStack({}, async ({ receiver, slug, sql, endpoint }) => {
    const add = async (body: Record<string, unknown>) => {
      const json = await endpoint({ events: ["order.confirmed"], ...body });
      assert.equal(
        JSON.stringify(json).includes("s3cret"),
        false,
        "credentials are never returned",
      );
      return json;
    };
    const rest = await add({
      kind: "rest",
      url: `${receiver.url}/rest/orders`,
      headers: { "X-Source": "switchyard" },
      credentials: { type: "basic", username: "erp", password: "s3cret" },
      transform: {
        method: "PUT",
        body: {
          orderId: "{{entity.id}}",
          total: "{{data.total | number}}",
          customer: { $path: "data.customer.name", $format: "upper" },
          channel: "web",
        },
      },
    });
    await add({
      kind: "soap",
      url: `${receiver.url}/soap`,
      credentials: { type: "bearer", token: "s3cret-token" },
      transform: {
        soapAction: "urn:erp#ConfirmOrder",
        envelope:
          '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ConfirmOrder><Id>{{entity.id}}</Id><Customer>{{data.customer.name}}</Customer><Day>{{timestamp | date}}</Day></ConfirmOrder></soap:Body></soap:Envelope>',
      },
    });
    await add({
      kind: "graphql",
      url: `${receiver.url}/graphql`,
      credentials: { type: "header", name: "X-Api-Key", value: "s3cret-key" },
      transform: {
        query:
          "mutation Confirm($id: ID!, $total: Float!) { confirmOrder(id: $id, total: $total) { ok } }",
        variables: { id: "{{entity.id}}", total: "{{data.total | number}}" },
      },
    });
    await emitAndRoute(sql, [{
      tenant: slug,
      type: "order.confirmed",
      entity: { type: "order", id: "o-7" },
      timestamp: "2026-11-24T10:30:00.000Z",
      data: { total: "99.5", customer: { name: "Ana & Co <SA>" } },
    }]);
    const reqs = await receiver.waitFor(3);
    const at = (p: string) => reqs.find((r) => r.path.startsWith(p))!;

    const r = at("/rest/orders");
    assert.equal(r.method, "PUT");
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(r.headers["authorization"], `Basic ${btoa("erp:s3cret")}`);
    assert.equal(r.headers["x-source"], "switchyard");
    assert.equal(
      r.body,
      JSON.stringify({ orderId: "o-7", total: 99.5, customer: "ANA & CO <SA>", channel: "web" }),
    );
    new Webhook(rest.secret).verify(r.body, r.headers);

    const s = at("/soap");
    assert.equal(s.method, "POST");
    assert.equal(s.headers["content-type"], "text/xml; charset=utf-8");
    assert.equal(s.headers["soapaction"], '"urn:erp#ConfirmOrder"');
    assert.equal(s.headers["authorization"], "Bearer s3cret-token");
    assert.equal(
      s.body,
      '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ConfirmOrder><Id>o-7</Id><Customer>Ana &amp; Co &lt;SA&gt;</Customer><Day>2026-11-24</Day></ConfirmOrder></soap:Body></soap:Envelope>',
    );

    const g = at("/graphql");
    assert.equal(g.headers["content-type"], "application/json");
    assert.equal(g.headers["x-api-key"], "s3cret-key");
    assert.deepEqual(JSON.parse(g.body), {
      query:
        "mutation Confirm($id: ID!, $total: Float!) { confirmOrder(id: $id, total: $total) { ok } }",
      variables: { id: "o-7", total: 99.5 },
    });

    const [{ credentials }] =
      await sql`select credentials from switchyard.endpoints where kind = 'rest'`;
    assert.match(credentials, /^v1\./);
    assert.equal(credentials.includes("s3cret"), false, "credentials are stored encrypted");
  });
});

Deno.test("a GraphQL answer with errors counts as a failed try", async () => {
  await withDeliveryStack({}, async ({ receiver, slug, sql, endpoint }) => {
    receiver.respond((
      _r,
      i,
    ) => (i === 0
      ? { body: '{"errors":[{"message":"nope"}]}' }
      : { body: '{"data":{"ok":true}}' })
    );
    await endpoint({
      kind: "graphql",
      retrySchedule: [50],
      transform: { query: "mutation { ping }" },
    });
    await emitAndRoute(sql, [{
      tenant: slug,
      type: "order.confirmed",
      entity: { type: "order", id: "o-1" },
    }]);
    await receiver.waitFor(2);
  });
});
