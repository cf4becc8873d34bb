import assert from "node:assert/strict";
import { seedTenant } from "./harness.ts";
import { emitAndRoute, orderEvent, withDeliveryStack } from "./delivery-fixtures.ts";
import { deliveriesForEvents } from "../functions/_shared/delivery/trace.ts";
import { checkHealth } from "../functions/_shared/health.ts";
import { staysTrue, waitUntil } from "./wait.ts";

Deno.test("routing makes one delivery per matching endpoint, by pattern and filter, idempotently; a disabled endpoint's wait held", () =>
  withDeliveryStack({ worker: false }, async (t) => {
    const all = await t.endpoint({ events: ["*"] });
    const orders = await t.endpoint({ events: ["order.*", "order.confirmed"] });
    const confirmed = await t.endpoint({
      events: ["order.*"],
      filter: { "data.status": "CONFIRMED" },
    });
    const off = await t.endpoint({ events: ["*"] });
    const telegram = await t.endpoint({
      kind: "telegram",
      url: undefined,
      events: ["order.confirmed"],
      chats: ["123"],
    });
    await t.admin("POST", `/admin/endpoints/${off.id}/disable`, { reason: "maintenance" });
    const other = await seedTenant(t.sql);
    const { events, routed } = await emitAndRoute(t.sql, [
      orderEvent(t.slug, "o-1"),
      orderEvent(t.slug, "o-2", "order.cancelled", { status: "CANCELLED" }),
      orderEvent(t.slug, "p-1", "product.updated"),
      orderEvent(other.slug, "o-9"),
    ]);
    // o-1: all, orders, confirmed, telegram, off; o-2: all, orders, off; p-1: all, off; the other tenant's event: none.
    assert.equal(routed, 10);
    const rows = await t.sql<
      { event_id: string; endpoint_id: string; status: string }[]
    >`select event_id, endpoint_id, status from switchyard.deliveries`;
    assert.deepEqual(
      [...new Set(rows.filter((r) => r.endpoint_id === off.id).map((r) => r.status))],
      ["held"],
      "the disabled endpoint's deliveries are held, not sent",
    );
    const to = (e: string) => rows.filter((r) => r.event_id === e).map((r) => r.endpoint_id).sort();
    assert.deepEqual(
      to(events[0].id),
      [all.id, orders.id, confirmed.id, telegram.id, off.id].sort(),
    );
    assert.deepEqual(to(events[1].id), [all.id, orders.id, off.id].sort());
    assert.deepEqual(to(events[2].id), [all.id, off.id].sort());
    const again = await t.sql.begin(async (tx) =>
      (await import("../functions/_shared/delivery/route.ts")).routeEvents(tx, events)
    );
    assert.equal(again, 0, "routing the same batch twice adds nothing");
  }));

Deno.test("a receiver answering 500 three times then 200 gets it on the 4th try, waits matching the schedule", () =>
  withDeliveryStack({ worker: true }, async (t) => {
    const schedule = [200, 400, 800];
    await t.endpoint({ retrySchedule: schedule });
    t.receiver.respond((_r, i) => (i < 3 ? { status: 500, body: "boom" } : { status: 200 }));
    const { events } = await emitAndRoute(t.sql, [orderEvent(t.slug, "o-1")]);
    const reqs = await t.receiver.waitFor(4, 20_000);
    const gaps = reqs.slice(1).map((r, i) => r.at - reqs[i].at);
    for (const [i, gap] of gaps.entries()) {
      assert.ok(
        gap >= schedule[i] - 20 && gap <= schedule[i] + 600,
        `wait ${i + 1} was ${gap.toFixed(0)} ms, planned ${schedule[i]}`,
      );
    }
    const ids = new Set(reqs.map((r) => r.headers["webhook-id"]));
    assert.equal(ids.size, 1, "the webhook-id is stable across retries");
    const trace = await waitUntil("delivered", async () => {
      const m = await deliveriesForEvents(t.sql, t.slug, [events[0].id]);
      const d = m.get(events[0].id)?.[0];
      return d?.status === "delivered" && d;
    });
    assert.deepEqual(trace.attempts.map((a) => a.status), [500, 500, 500, 200]);
    const shown = (await t.admin("GET", `/admin/deliveries/${trace.id}`)).json;
    assert.equal(shown.attempts[0].responseExcerpt, "boom");
    assert.equal(shown.status, "delivered");
  }));

Deno.test("a receiver that is down: dead letter after the last retry, delivery.dead event, replay delivers once", () =>
  withDeliveryStack({ worker: true }, async (t) => {
    const ep = await t.endpoint({ retrySchedule: [100, 200] });
    await t.receiver.down();
    const { events } = await emitAndRoute(t.sql, [orderEvent(t.slug, "o-1")]);
    const dlq = await waitUntil("a dead letter", async () => {
      const items = (await t.admin("GET", `/admin/dlq?tenant=${t.slug}`)).json.items;
      return items.length === 1 && items;
    });
    assert.equal(dlq[0].endpointId, ep.id);
    assert.equal(dlq[0].tries, 3);
    assert.match(dlq[0].reason, /request failed/);
    const [dead] = await t.sql`select * from switchyard.events where type = 'delivery.dead'`;
    assert.equal(dead.causation_id, events[0].id);
    assert.equal(dead.entity_id, "o-1");
    assert.equal(dead.data.deliveryId, dlq[0].deliveryId);
    const backlog = (await checkHealth(t.stack.ctx)).checks.deliveries;
    assert.deepEqual({ due: backlog.due, dead: backlog.dead }, { due: 0, dead: 1 });

    t.receiver.up();
    const replay = await t.admin("POST", "/admin/dlq/replay", { ids: [dlq[0].id] });
    assert.deepEqual(replay.json, { replayed: 1 });
    await t.receiver.waitFor(1);
    assert.deepEqual((await t.admin("POST", "/admin/dlq/replay", { ids: [dlq[0].id] })).json, {
      replayed: 0,
    });
    await staysTrue("delivered exactly once", () => t.receiver.requests.length === 1, 300);
    assert.equal(t.receiver.requests[0].headers["webhook-id"], dlq[0].deliveryId);
    assert.deepEqual((await t.admin("GET", `/admin/dlq?tenant=${t.slug}`)).json.items, []);
  }));

Deno.test("an ordered endpoint gets one entity's events in version order even when an earlier one needed retries", () =>
  withDeliveryStack({ worker: true }, async (t) => {
    await t.endpoint({ ordered: true, retrySchedule: [150, 150, 150] });
    let failedV1 = 0;
    t.receiver.respond((r) => {
      const body = JSON.parse(r.body);
      if (body.entity.id === "o-1" && body.version === 1 && failedV1 < 2) {
        failedV1++;
        return { status: 503 };
      }
    });
    await emitAndRoute(
      t.sql,
      [1, 2, 3, 4, 5].map(() => orderEvent(t.slug, "o-1")).concat([orderEvent(t.slug, "o-2")]),
    );
    await t.receiver.waitFor(8, 20_000);
    const seen = t.receiver.requests.map((r) => JSON.parse(r.body)).map((b) =>
      `${b.entity.id}@${b.version}`
    );
    const o1 = seen.filter((s) => s.startsWith("o-1")).filter((s, i, a) => a.indexOf(s) === i);
    assert.deepEqual(o1, ["o-1@1", "o-1@2", "o-1@3", "o-1@4", "o-1@5"]);
    assert.ok(seen.indexOf("o-2@1") < seen.lastIndexOf("o-1@1"), "another entity is not held back");
  }));

Deno.test("a failing endpoint trips its breaker; failed rounds disable it with the reason and an endpoint.disabled event, and enabling delivers what waited", () =>
  withDeliveryStack(
    { worker: { breakerFailures: 3, breakerOpenMs: 300, maxFailedRounds: 3 } },
    async (t) => {
      // Tries enough to outlive three rounds (the breaker open 300 ms each), however they fall.
      const ep = await t.endpoint({ retrySchedule: Array(20).fill(100) });
      t.receiver.respond(() => ({ status: 500 }));
      await emitAndRoute(t.sql, Array.from({ length: 6 }, (_, i) => orderEvent(t.slug, `o-${i}`)));
      const shown = await waitUntil("the endpoint disabled", async () => {
        const e = (await t.admin("GET", `/admin/endpoints/${ep.id}`)).json;
        return !e.enabled && e;
      }, 20_000);
      assert.match(shown.disabledReason, /disabled automatically after 3 failed rounds/);
      const [disabled] = await t.sql`
        select * from switchyard.events where type = 'endpoint.disabled' and entity_id = ${ep.id}`;
      assert.equal(disabled.data.automatic, true);
      assert.equal(disabled.tenant, t.slug);
      const sent = t.receiver.requests.length;
      assert.ok(sent >= 3, `${sent} tries`);
      // While disabled nothing is sent; what waits is held.
      await staysTrue(
        "nothing sent while disabled",
        () => t.receiver.requests.length === sent,
        400,
      );
      const [{ held }] = await t.sql`
        select count(*)::int as held from switchyard.deliveries where status = 'held'`;
      assert.ok(held > 0, "the waiting deliveries are held");
      // Enabled again with a healthy receiver: the held deliveries go out.
      t.receiver.respond(() => undefined);
      await t.admin("POST", `/admin/endpoints/${ep.id}/enable`);
      await waitUntil("all delivered", async () => {
        const [{ n }] = await t.sql`
          select count(*)::int as n from switchyard.deliveries where status in ('pending', 'held')`;
        return n === 0;
      });
    },
  ));

Deno.test("history replay sends a time range again as new deliveries marked replay, in batches", () =>
  withDeliveryStack({ worker: true }, async (t) => {
    const ep = await t.endpoint({ events: ["order.*"] });
    const from = new Date(Date.now() - 1000).toISOString();
    await emitAndRoute(t.sql, [
      orderEvent(t.slug, "o-1"),
      orderEvent(t.slug, "o-2"),
      orderEvent(t.slug, "o-3", "order.shipped"),
    ]);
    await t.receiver.waitFor(3);
    let cursor: string | undefined;
    let created = 0;
    for (;;) {
      const res = await t.admin("POST", "/admin/replay", {
        tenant: t.slug,
        from,
        type: "order.confirmed",
        endpoint: ep.id,
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      assert.equal(res.status, 200, res.text);
      created += res.json.created;
      if (res.json.done) break;
      cursor = res.json.nextCursor;
    }
    assert.equal(created, 2);
    await t.receiver.waitFor(5);
    const replays = (await t.admin("GET", `/admin/deliveries?tenant=${t.slug}&endpoint=${ep.id}`))
      .json.items.filter((
        d: { replay: boolean },
      ) => d.replay);
    assert.equal(replays.length, 2);
    assert.equal(
      (await t.admin("POST", "/admin/replay", { tenant: "nobody-here", from })).status,
      404,
    );
  }));
