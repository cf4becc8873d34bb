import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { startReceiver } from "./receiver.ts";
import { emitAndRoute, orderEvent } from "./delivery-fixtures.ts";

Deno.test("bad endpoint input is a 400 or 404 listing the problems, and nothing is written", async () => {
  const stack = await startStack({ store: "memory" });
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const admin = client(stack.base, SERVICE_KEY);
    const ok = { tenant: slug, url: "http://127.0.0.1:9/hook", events: ["order.*"] };
    const cases: [unknown, number, string?][] = [
      [{ ...ok, tenant: "nobody-here" }, 404],
      [{ ...ok, url: "not a url" }, 400, "url"],
      [{ ...ok, url: "ftp://127.0.0.1/x" }, 400, "url"],
      [{ ...ok, events: ["Order.*"] }, 400, "events.0"],
      [{ ...ok, events: [] }, 400, "events"],
      [{ ...ok, kind: "carrier-pigeon" }, 400, "kind"],
      [{ ...ok, timeoutMs: "10s" }, 400, "timeoutMs"],
      [{ ...ok, retrySchedule: [1000, -1] }, 400, "retrySchedule.1"],
      [{ ...ok, ordered: "yes" }, 400, "ordered"],
      [{ ...ok, filter: { "data..x": 1 } }, 400],
      [{ ...ok, transform: { body: "{{data.total | shout}}" } }, 400, "transform"],
      [{ ...ok, credentials: { type: "basic", username: "u" } }, 400, "credentials.password"],
      [{ ...ok, headers: { "webhook-id": "x" } }, 400, "headers"],
      [{ ...ok, kind: "soap" }, 400, "transform.envelope"],
      [{ ...ok, url: undefined }, 400, "url"],
      [{ ...ok, surprise: true }, 400],
      ["[1,2", 400],
    ];
    for (const [body, status, path] of cases) {
      const res = await admin("POST", "/admin/endpoints", body);
      assert.equal(res.status, status, `${JSON.stringify(body)} → ${res.text}`);
      if (path) {
        assert.ok(
          res.json.error.details.some((d: { path: string }) => d.path === path),
          `${path} in ${res.text}`,
        );
      }
    }
    const [{ n }] = await stack.db
      .sql`select (select count(*) from switchyard.endpoints) + (select count(*) from switchyard.subscriptions) as n`;
    assert.equal(Number(n), 0);
    assert.equal((await admin("GET", "/admin/endpoints/ep_nope")).status, 404);
    assert.equal((await admin("POST", "/admin/endpoints/ep_nope/disable")).status, 404);
    assert.equal((await admin("GET", "/admin/endpoints?tenant=nobody-here")).status, 404);
    assert.equal((await admin("GET", "/admin/deliveries?status=weird")).status, 400);
    assert.equal((await admin("GET", "/admin/deliveries?cursor=garbage")).status, 400);
    assert.equal(
      (await admin("POST", "/admin/dlq/replay", { ids: ["dl_x"], all: true })).status,
      400,
    );
    assert.equal((await admin("POST", "/admin/dlq/replay", {})).status, 400);
    assert.equal(
      (await admin("POST", "/admin/replay", { tenant: slug, from: "yesterday" })).status,
      400,
    );
    assert.equal(
      (await client(stack.base, "wrong-key-wrong-key")("GET", "/admin/endpoints")).status,
      401,
    );
  } finally {
    await stack.close();
  }
});

Deno.test("endpoints are listed, shown, disabled (deliveries held), enabled and tested without ever showing a secret", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const admin = client(stack.base, SERVICE_KEY);
    const created = await admin("POST", "/admin/endpoints", {
      tenant: slug,
      name: "erp",
      url: receiver.url,
      events: ["order.*"],
      credentials: { type: "bearer", token: "tok-123" },
    });
    assert.equal(created.status, 201);
    const ep = created.json;
    assert.equal(ep.timeoutMs, 10_000);
    assert.deepEqual(ep.retrySchedule, [1000, 2000, 4000, 8000, 16000]);
    assert.equal(ep.credentialsType, "bearer");
    const list = await admin("GET", `/admin/endpoints?tenant=${slug}`);
    assert.deepEqual(list.json.items.map((e: { id: string }) => e.id), [ep.id]);
    for (const text of [list.text, (await admin("GET", `/admin/endpoints/${ep.id}`)).text]) {
      assert.equal(text.includes("whsec_"), false);
      assert.equal(text.includes("tok-123"), false);
    }
    const disabled = await admin("POST", `/admin/endpoints/${ep.id}/disable`, {
      reason: "ERP maintenance",
    });
    assert.equal(disabled.json.enabled, false);
    assert.equal(disabled.json.disabledReason, "ERP maintenance");
    await emitAndRoute(stack.db.sql, [orderEvent(slug, "o-1")]);
    assert.deepEqual(
      (await admin("GET", `/admin/deliveries?tenant=${slug}`)).json.items.map((
        d: { status: string },
      ) => d.status),
      ["held"],
      "a disabled endpoint's deliveries wait held",
    );
    assert.equal((await admin("POST", `/admin/endpoints/${ep.id}/enable`)).json.enabled, true);

    const test = await admin("POST", `/admin/endpoints/${ep.id}/test`);
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.ok, true);
    assert.equal(test.json.status, 200);
    assert.equal(receiver.requests[0].headers.authorization, "Bearer tok-123");
    receiver.respond(() => ({ status: 418 }));
    assert.deepEqual({
      ...(await admin("POST", `/admin/endpoints/${ep.id}/test`)).json,
      latencyMs: 0,
    }, { ok: false, status: 418, latencyMs: 0, error: "HTTP 418" });

    await emitAndRoute(stack.db.sql, [1, 2, 3].map((i) => orderEvent(slug, `o-${i + 1}`)));
    const page1 = await admin("GET", `/admin/deliveries?tenant=${slug}&limit=2`);
    assert.equal(page1.json.items.length, 2);
    const page2 = await admin(
      "GET",
      `/admin/deliveries?tenant=${slug}&limit=2&cursor=${page1.json.nextCursor}`,
    );
    // Three new ones and o-1's, held while the endpoint was disabled and pending since it was enabled.
    assert.equal(page2.json.items.length, 2);
    assert.equal(page2.json.nextCursor, null);
    const one = await admin("GET", `/admin/deliveries/${page2.json.items[1].id}`);
    assert.equal(one.json.status, "pending");
    assert.deepEqual(one.json.attempts, []);
    assert.equal(one.json.entity.type, "order");
  } finally {
    await receiver.close();
    await stack.close();
  }
});
