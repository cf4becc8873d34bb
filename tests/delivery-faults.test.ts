/** Failure semantics as the README states them, with real receivers that fail, blip and hang. */
import assert from "node:assert/strict";
import { emitAndRoute, orderEvent, withDeliveryStack } from "./delivery-fixtures.ts";
import { waitUntil } from "./wait.ts";
import { startReceiver } from "./receiver.ts";
import type { Sql } from "../functions/_shared/db.ts";
import { envelopeSelect, type EventRow, rowToEvent } from "../functions/_shared/events/envelope.ts";
import { routeEvents } from "../functions/_shared/delivery/route.ts";
import { sleep } from "../functions/_shared/clock.ts";

const count = async (sql: Sql, where: string) =>
  (await sql.unsafe<{ n: number }[]>(
    `select count(*)::int as n from switchyard.deliveries where ${where}`,
  ))[0].n;

Deno.test("while an endpoint's breaker is open each delivery keeps its own schedule and is dead-lettered when it runs out", () =>
  withDeliveryStack({ worker: { breakerFailures: 2, breakerOpenMs: 60_000 } }, async (t) => {
    await t.endpoint({ retrySchedule: [200, 400, 800] });
    t.receiver.respond(() => ({ status: 500 }));
    await emitAndRoute(t.sql, Array.from({ length: 20 }, (_, i) => orderEvent(t.slug, `o-${i}`)));
    // 0.2 + 0.4 + 0.8 s of schedule: the breaker (open for a minute) must not stretch it.
    await waitUntil("20 dead letters", async () => (await count(t.sql, "status = 'dead'")) === 20);
    const [{ tries }] = await t.sql`
      select array_agg(distinct tries) as tries from switchyard.deliveries`;
    assert.deepEqual(tries, [4], "every delivery made its four tries");
    assert.ok(t.receiver.requests.length < 20 * 4, "the open breaker stopped sending");
    const [{ skipped }] = await t.sql`
      select count(*)::int as skipped from switchyard.delivery_attempts where error like 'not sent:%'`;
    assert.ok(skipped > 0, "tries while open are in the attempt log as not sent");
    const [{ dead }] = await t.sql`
      select count(*)::int as dead from switchyard.events where type = 'delivery.dead'`;
    assert.equal(dead, 20);
  }));

Deno.test("a 2 s blip at full concurrency disables nothing, and every delivery arrives", () =>
  withDeliveryStack({ worker: { breakerOpenMs: 500 } }, async (t) => {
    const ep = await t.endpoint({ retrySchedule: [500, 1000, 2000, 4000, 8000] });
    let blipUntil = 0;
    t.receiver.respond(() => (performance.now() < blipUntil ? { status: 503 } : undefined));
    blipUntil = performance.now() + 2_000;
    await emitAndRoute(t.sql, Array.from({ length: 300 }, (_, i) => orderEvent(t.slug, `o-${i}`)));
    await waitUntil(
      "all delivered",
      async () => (await count(t.sql, "status = 'delivered'")) === 300,
      30_000,
    );
    const shown = (await t.admin("GET", `/admin/endpoints/${ep.id}`)).json;
    assert.equal(shown.enabled, true, shown.disabledReason);
    assert.ok(
      t.receiver.requests.some((r) => r.at < blipUntil),
      "the blip was seen",
    );
  }));

Deno.test("events routed while an endpoint is disabled wait held and arrive once it is enabled; endpoint.disabled routes to another endpoint", () =>
  withDeliveryStack({}, async (t) => {
    const watcher = startReceiver();
    try {
      const ep = await t.endpoint({ events: ["order.*"] });
      await t.endpoint({ url: watcher.url, events: ["endpoint.*"] });
      const off = await t.admin("POST", `/admin/endpoints/${ep.id}/disable`, { reason: "deploy" });
      assert.equal(off.status, 200, off.text);
      // The relay would hand the log's new event to the pipeline; route it as the pipeline does.
      const rows = await t.sql<EventRow[]>`
        select ${
        t.sql.unsafe(envelopeSelect)
      } from switchyard.events e where e.type = 'endpoint.disabled'`;
      assert.equal(rows.length, 1, "disabling appended endpoint.disabled");
      await t.sql.begin((tx) => routeEvents(tx, rows.map(rowToEvent)));
      const [notice] = await watcher.waitFor(1);
      const body = JSON.parse(notice.body);
      assert.equal(body.type, "endpoint.disabled");
      assert.deepEqual(body.entity, { type: "endpoint", id: ep.id });
      assert.equal(body.data.reason, "deploy");

      await emitAndRoute(t.sql, Array.from({ length: 5 }, (_, i) => orderEvent(t.slug, `o-${i}`)));
      assert.equal(await count(t.sql, `endpoint_id = '${ep.id}' and status = 'held'`), 5);
      await sleep(300);
      assert.equal(t.receiver.requests.length, 0, "held, not sent");
      await t.admin("POST", `/admin/endpoints/${ep.id}/enable`);
      await t.receiver.waitFor(5);
      assert.equal(
        new Set(t.receiver.requests.map((r) => JSON.parse(r.body).entity.id)).size,
        5,
        "what happened while disabled is delivered",
      );
    } finally {
      await watcher.close();
    }
  }));

Deno.test("past a drain's budget, the sends a slow endpoint still has in flight keep no one else waiting", () =>
  withDeliveryStack({ worker: { drainBudgetMs: 1_000 } }, async (t) => {
    const slow = startReceiver();
    slow.respond(() => ({ delayMs: 9_000 }));
    try {
      await t.endpoint({ url: slow.url, events: ["order.*"], timeoutMs: 8_000, maxInFlight: 2 });
      await t.endpoint({ events: ["product.*"] });
      await emitAndRoute(t.sql, [orderEvent(t.slug, "o-1"), orderEvent(t.slug, "o-2")]);
      await slow.waitFor(2);
      // The drain that sent them passes its 1 s budget while they hang: it claims no more.
      await sleep(1_500);
      await emitAndRoute(
        t.sql,
        Array.from({ length: 5 }, (_, i) => orderEvent(t.slug, `p-${i}`, "product.updated")),
      );
      const healthy = await t.receiver.waitFor(5);
      const firstTimeout = slow.requests[0].at + 8_000;
      assert.ok(
        healthy.every((r) => r.at < firstTimeout),
        "a newer drain delivered the healthy endpoint's events before the slow sends timed out",
      );
    } finally {
      await slow.close();
    }
  }));

Deno.test("a slow endpoint holds only its own share: a healthy neighbour's deliveries go out while its sends hang", () =>
  withDeliveryStack({ worker: { maxInFlight: 16 } }, async (t) => {
    const slow = startReceiver();
    slow.respond(() => ({ delayMs: 6_000 }));
    try {
      await t.endpoint({ url: slow.url, events: ["order.*"], timeoutMs: 5_000, maxInFlight: 4 });
      await t.endpoint({ events: ["product.*"] });
      await emitAndRoute(
        t.sql,
        Array.from({ length: 100 }, (_, i) => orderEvent(t.slug, `o-${i}`)),
      );
      await slow.waitFor(4);
      await emitAndRoute(
        t.sql,
        Array.from({ length: 20 }, (_, i) => orderEvent(t.slug, `p-${i}`, "product.updated")),
      );
      const healthy = await t.receiver.waitFor(20);
      const firstTimeout = slow.requests[0].at + 5_000;
      assert.ok(
        healthy.every((r) => r.at < firstTimeout),
        "the healthy endpoint's deliveries arrived before the slow one's first send timed out",
      );
      assert.equal(
        slow.requests.length,
        4,
        "the slow endpoint never had more than its 4 in flight",
      );
    } finally {
      await slow.close();
    }
  }));
