/**
 * The shop example end to end, as `npm start -- --example shop` runs it: the functions, the relay and
 * the scheduler as child processes, real Postgres and Redis, the fake Telegram Bot API.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import amqp from "amqplib";
import { startStack } from "../../tests/harness.ts";
import { relayEnv, startRelay } from "../../tests/relay-support.ts";
import { startFakeTelegram } from "../../tests/fake-telegram.ts";
import { spawn } from "../../local/process.ts";
import { createLogger } from "../../functions/_shared/log.ts";
import {
  envelopeSelect,
  type EventRow,
  rowToEvent,
  toEnvelope,
} from "../../functions/_shared/events/envelope.ts";
import { startShop } from "./setup.ts";
import { waitUntil } from "../../tests/wait.ts";
import { consumeOrders, type OrderMessage } from "./rabbitmq.ts";
import { listening } from "../../tests/broker-fixtures.ts";
import { closeBrokerLinks } from "../../functions/_shared/delivery/connectors/broker-pool.ts";

const scheduler = new URL("../../workers/scheduler/main.ts", import.meta.url).pathname;
const CHAT = "4242";

Deno.test("shop: orders are confirmed or rejected once by two consumer instances, with signed webhooks, a Telegram message and order.* on RabbitMQ", async () => {
  const telegram = startFakeTelegram();
  const stack = await startStack({ env: telegram.env });
  const log = createLogger("shop-test", { level: "error" });
  const rabbitUp = await listening(5672);
  if (!rabbitUp) console.warn("SKIPPED the RabbitMQ part: nothing listens on 127.0.0.1:5672");
  const exchange = `shop.test.${crypto.randomUUID().slice(0, 8)}`;
  const rabbitmqUrl = `amqp://127.0.0.1:5672/?exchange=${exchange}&routingKey={{type}}`;
  const shop = await startShop({
    env: stack.env,
    log,
    ports: { storefront: 0, receiver: 0, reserverA: 0, reserverB: 0 },
    telegramChats: [CHAT],
    rabbitmqUrl: rabbitUp ? rabbitmqUrl : undefined,
  });
  const onRabbit: OrderMessage[] = [];
  const stopRabbit = shop.endpoints.rabbitmq
    ? await consumeOrders(rabbitmqUrl, shop.endpoints.rabbitmq.secret, (m) => onRabbit.push(m))
    : null;
  const relay = startRelay(relayEnv(stack.db.url, stack.env.SUPABASE_URL, stack.db.name));
  const worker = await spawn("scheduler", Deno.execPath(), {
    args: ["run", "-A", "--no-check", scheduler],
    env: stack.env,
    output: "null",
  });
  const shopApi = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${shop.storefront.url}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  const statusOf = async (id: string) =>
    (await shopApi("GET", `/orders/${id}`)).json.status as string;
  const stock = async () =>
    Object.fromEntries(
      (await shopApi("GET", "/products")).json.items.map((
        p: { sku: string; stock: number },
      ) => [p.sku, p.stock]),
    );
  try {
    await relay.waitForLog(/"streaming"/);

    assert.equal(
      (await shopApi("POST", "/orders", { orderId: "o-1", sku: "MUG", qty: 2 })).status,
      201,
    );
    assert.equal(
      (await shopApi("POST", "/orders", { orderId: "o-2", sku: "TSHIRT", qty: 5 })).status,
      201,
    );
    assert.equal(
      (await shopApi("POST", "/orders", { orderId: "o-3", sku: "STICKER", qty: 1 })).status,
      201,
    );
    assert.equal(
      (await shopApi("POST", "/orders", { orderId: "o-1", sku: "MUG", qty: 1 })).status,
      409,
    );
    assert.equal((await shopApi("POST", "/orders", { sku: "NOPE", qty: 1 })).status, 400);
    await waitUntil(
      "o-1 and o-3 confirmed",
      async () =>
        (await statusOf("o-1")) === "CONFIRMED" && (await statusOf("o-3")) === "CONFIRMED",
      30_000,
    );
    await waitUntil("o-2 rejected", async () => (await statusOf("o-2")) === "REJECTED", 30_000);
    assert.equal((await shopApi("POST", "/orders/o-3/cancel")).json.status, "CANCELLED");

    // A fresh order whose order.created also arrives, signed, ten times at once at both instances.
    assert.equal(
      (await shopApi("POST", "/orders", { orderId: "o-4", sku: "STICKER", qty: 1 })).status,
      201,
    );
    const [row] = await stack.db.sql<EventRow[]>`select ${
      stack.db.sql.unsafe(envelopeSelect)
    } from switchyard.events e
      where e.type = 'order.created' and e.entity_id = 'o-4'`;
    const body = JSON.stringify(toEnvelope(rowToEvent(row)));
    const storm = await Promise.all(Array.from({ length: 10 }, (_, i) => {
      const consumer = shop.endpoints.consumers[i % 2];
      const headers = signed(consumer.secret, `msg_storm_${i}`, body);
      return fetch(`${shop.reservers[i % 2].url}/events`, { method: "POST", headers, body }).then((
        r,
      ) => r.json());
    }));
    assert.ok(
      storm.every((o) => ["processed", "duplicate", "busy"].includes(o.kind)),
      JSON.stringify(storm),
    );
    await waitUntil("o-4 confirmed", async () => (await statusOf("o-4")) === "CONFIRMED", 30_000);

    const expected = [
      "o-1 order.created",
      "o-1 order.confirmed",
      "o-2 order.created",
      "o-2 order.rejected",
      "o-3 order.created",
      "o-3 order.confirmed",
      "o-3 order.cancelled",
      "o-4 order.created",
      "o-4 order.confirmed",
    ];
    const got = () =>
      shop.receiver.received.map((r) => `${r.event.entity.id} ${r.event.type}`).sort();
    await waitUntil(
      "the receiver to get every order event",
      () => got().length >= expected.length,
      30_000,
    );
    assert.deepEqual(got(), expected.sort());
    assert.equal(shop.receiver.refused, 0, "every delivery carried a valid signature");
    if (stopRabbit) {
      const onRabbitSorted = () => onRabbit.map((m) => `${m.orderId} ${m.type}`).sort();
      await waitUntil("order.* on RabbitMQ", () => onRabbit.length >= expected.length, 30_000);
      assert.deepEqual(onRabbitSorted(), expected.sort());
      assert.ok(onRabbit.every((m) => m.verified), "every RabbitMQ message verifies");
      const o3 = onRabbit.filter((m) => m.orderId === "o-3").map((m) => m.type);
      assert.deepEqual(o3, ["order.created", "order.confirmed", "order.cancelled"]);
    }
    const forged = await fetch(`${shop.receiver.url}/webhook`, {
      method: "POST",
      headers: signed(`whsec_${btoa("x".repeat(24))}`, "msg_x", body),
      body,
    });
    assert.equal(forged.status, 401);
    await forged.body?.cancel();

    // Every instance got every order.created from Switchyard; each order was reserved exactly once.
    // Each instance: 4 orders from Switchyard and 5 of the storm.
    await waitUntil(
      "both instances to get every order.created",
      () => shop.reservers.every((r) => r.stats.received >= 9),
      30_000,
    );
    console.log(`consumer instances: ${JSON.stringify(shop.reservers.map((r) => r.stats))}`);
    const processed = shop.reservers.reduce((n, r) => n + r.stats.processed, 0);
    assert.equal(processed, 4, JSON.stringify(shop.reservers.map((r) => r.stats)));
    assert.deepEqual(await stock(), { MUG: 8, TSHIRT: 3, STICKER: 99 });
    const reserved = await stack.db.sql<{ order: string; n: number }[]>`
      select data->>'orderId' as order, count(*)::int as n from switchyard.events
      where type = 'product.stock_reserved' group by 1 order by 1`;
    assert.deepEqual(reserved.map((r) => [r.order, r.n]), [["o-1", 1], ["o-3", 1], ["o-4", 1]]);

    // The same events again through Switchyard (a history replay to both consumers): nothing changes.
    const before = shop.reservers.map((r) => r.stats.duplicate);
    for (const consumer of shop.endpoints.consumers) {
      const res = await fetch(`${stack.base}/admin/replay`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${stack.env.SUPABASE_SERVICE_ROLE_KEY}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({
          tenant: shop.tenant,
          from: "2000-01-01T00:00:00Z",
          type: "order.created",
          endpoint: consumer.id,
        }),
      });
      assert.equal((await res.json()).created, 4);
    }
    await waitUntil(
      "the replayed events",
      () => shop.reservers.every((r, i) => r.stats.duplicate >= before[i] + 4),
      30_000,
    );
    assert.equal(shop.reservers.reduce((n, r) => n + r.stats.processed, 0), 4);
    assert.deepEqual(await stock(), { MUG: 8, TSHIRT: 3, STICKER: 99 });

    await waitUntil("the Telegram confirmations", () => telegram.sent(CHAT).length >= 3, 30_000);
    assert.deepEqual(telegram.sent(CHAT).map((m) => m.text).sort(), [
      "✅ Tu orden o-1 ha sido confirmada",
      "✅ Tu orden o-3 ha sido confirmada",
      "✅ Tu orden o-4 ha sido confirmada",
    ]);
  } finally {
    await stopRabbit?.();
    await closeBrokerLinks();
    if (rabbitUp) await deleteExchange(exchange);
    await worker.stop();
    await relay.kill("SIGTERM");
    await shop.stop();
    await stack.close();
    await telegram.close();
  }
});

async function deleteExchange(exchange: string) {
  const conn = await amqp.connect("amqp://127.0.0.1:5672/", { timeout: 5_000 });
  await (await conn.createChannel()).deleteExchange(exchange).catch(() => {});
  await conn.close();
}

function signed(secret: string, id: string, body: string): Record<string, string> {
  const now = new Date();
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, now, body),
  };
}
