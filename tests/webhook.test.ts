import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { emitAndRoute, orderEvent, withDeliveryStack } from "./delivery-fixtures.ts";
import { toEnvelope } from "../functions/_shared/events/envelope.ts";
import { staysTrue } from "./wait.ts";

Deno.test("every webhook verifies with the official standardwebhooks library and carries the envelope", async () => {
  await withDeliveryStack({}, async ({ receiver, slug, admin, sql, endpoint }) => {
    const created = {
      json: await endpoint({ kind: "webhook", url: `${receiver.url}/hook`, events: ["order.*"] }),
    };
    assert.match(created.json.secret, /^whsec_/);
    const [stored] = await sql<
      { secret: string }[]
    >`select secret from switchyard.endpoints where id = ${created.json.id}`;
    assert.ok(
      !stored.secret.includes(created.json.secret.slice(6)) && !stored.secret.startsWith("whsec_"),
      "the secret is stored sealed",
    );
    const { events } = await emitAndRoute(sql, [
      orderEvent(slug, "o-1"),
      orderEvent(slug, "o-2", "order.shipped"),
      orderEvent(slug, "o-3", "product.updated"),
    ]);
    const got = await receiver.waitFor(2);
    await staysTrue(
      "product.updated does not match order.*",
      () => receiver.requests.length === 2,
      200,
    );
    const wh = new Webhook(created.json.secret);
    const deliveries = (await admin("GET", `/admin/deliveries?tenant=${slug}`)).json.items;
    for (const req of got) {
      assert.equal(req.headers["content-type"], "application/json");
      assert.match(req.headers["webhook-timestamp"], /^\d{10}$/);
      const payload = wh.verify(req.body, req.headers) as { id: string };
      const event = events.find((e) => e.id === payload.id)!;
      assert.deepEqual(JSON.parse(req.body), toEnvelope(event));
      assert.equal(
        req.headers["webhook-id"],
        deliveries.find((d: { eventId: string }) => d.eventId === event.id).id,
      );
      assert.throws(
        () => wh.verify(req.body.replace('"CONFIRMED"', '"CANCELLED"'), req.headers),
        "a changed body fails",
      );
    }
  });
});

Deno.test("during a rotation overlap both signatures are present and each verifies with its secret", async () => {
  await withDeliveryStack({}, async ({ receiver, slug, admin, sql, endpoint }) => {
    const created = await endpoint();
    const rotated = await admin("POST", `/admin/endpoints/${created.id}/rotate-secret`, {
      overlapSeconds: 3600,
    });
    assert.equal(rotated.status, 200, rotated.text);
    assert.notEqual(rotated.json.secret, created.secret);
    assert.ok(Date.parse(rotated.json.previousValidUntil) > Date.now() + 3_500_000);
    await emitAndRoute(sql, [orderEvent(slug, "o-1")]);
    const [req] = await receiver.waitFor(1);
    assert.equal(req.headers["webhook-signature"].split(" ").length, 2);
    for (const secret of [created.secret, rotated.json.secret]) {
      new Webhook(secret).verify(req.body, req.headers);
    }
    assert.throws(() => new Webhook(created.secret).verify(req.body + " ", req.headers));

    // After the overlap only the new secret signs.
    await admin("POST", `/admin/endpoints/${created.id}/rotate-secret`, { overlapSeconds: 0 });
    const third = (await admin("GET", `/admin/endpoints/${created.id}`)).json;
    assert.equal(third.previousSecretValidUntil, null);
    assert.equal(
      JSON.stringify(third).includes("whsec_"),
      false,
      "endpoint JSON never shows a secret",
    );
  });
});
