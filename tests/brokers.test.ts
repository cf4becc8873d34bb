/**
 * Broker endpoints against the real RabbitMQ, NATS JetStream and Mosquitto on 127.0.0.1 (`.ci/run`
 * starts them), checked from outside by our own consumers.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import {
  brokerPorts,
  type Consumer,
  consumers,
  Forwarder,
  listening,
  natsConsumer,
} from "./broker-fixtures.ts";
import {
  type DeliveryStack,
  emitAndRoute,
  orderEvent,
  withDeliveryStack,
} from "./delivery-fixtures.ts";
import { waitUntil } from "./wait.ts";
import { deliveriesForEvents } from "../functions/_shared/delivery/trace.ts";
import {
  closeBrokerLinks,
  pooledLinks,
} from "../functions/_shared/delivery/connectors/broker-pool.ts";
import { amqpConnector } from "../functions/_shared/delivery/connectors/amqp.ts";
import { brokerKinds } from "../functions/_shared/delivery/connectors/broker-target.ts";
import type { DeliveryEndpoint } from "../functions/_shared/delivery/connector.ts";
import { freePort } from "../local/ports.ts";
import { newSecret } from "../functions/_shared/delivery/signing.ts";

const up = Object.fromEntries(
  await Promise.all(brokerKinds.map(async (k) => [k, await listening(brokerPorts[k])] as const)),
);
for (const k of brokerKinds) {
  if (!up[k]) {
    console.warn(
      `SKIPPED ${k} broker tests: nothing listens on 127.0.0.1:${
        brokerPorts[k]
      } (.ci/run starts RabbitMQ, nats-server -js and Mosquitto)`,
    );
  }
}

/** A delivery stack and a consumer of `kind`; the broker connections are closed after `fn`. */
function brokerTest(
  kind: (typeof brokerKinds)[number],
  name: string,
  fn: (t: DeliveryStack, consumer: Consumer) => Promise<void>,
) {
  Deno.test({
    name: `${kind}: ${name}`,
    ignore: !up[kind],
    fn: () =>
      withDeliveryStack({ worker: true }, async (t) => {
        const consumer = await consumers[kind]();
        try {
          await fn(t, consumer);
        } finally {
          await closeBrokerLinks();
          await consumer.close();
        }
      }),
  });
}

const statusOf = async (t: DeliveryStack, eventId: string) =>
  (await deliveriesForEvents(t.sql, t.slug, [eventId])).get(eventId)?.[0];

for (const kind of brokerKinds) {
  brokerTest(
    kind,
    "a message arrives with the envelope as body and headers whose signature verifies",
    async (t, consumer) => {
      const ep = await t.endpoint({
        kind,
        url: consumer.url(),
        events: ["order.*"],
        headers: { "X-Source": "shop" },
      });
      const { events } = await emitAndRoute(t.sql, [orderEvent(t.slug, "o-1")]);
      const [m] = await waitUntil(
        "the message",
        () => consumer.received.length > 0 && consumer.received,
      );
      const body = JSON.parse(m.body);
      assert.equal(body.id, events[0].id);
      assert.equal(body.type, "order.confirmed");
      assert.deepEqual(body.entity, { type: "order", id: "o-1" });
      assert.equal(body.data.total, 42);
      const d = await waitUntil("delivered", async () => {
        const d = await statusOf(t, events[0].id);
        return d?.status === "delivered" && d;
      });
      assert.equal(m.headers["webhook-id"], d.id, "the delivery id");
      assert.equal(m.headers["switchyard-event-id"], events[0].id);
      assert.equal(m.headers["switchyard-event-type"], "order.confirmed");
      assert.equal(m.headers["x-source"], "shop");
      new Webhook(ep.secret).verify(m.body, m.headers);
      assert.throws(() => new Webhook(newSecret()).verify(m.body, m.headers));
      if (kind === "amqp") {
        assert.equal(m.messageId, d.id);
        assert.equal(m.type, "order.confirmed");
        assert.equal(m.address, "order.confirmed");
      }
      if (kind === "mqtt") assert.equal(m.headers["content-type"], "application/json");
      if (kind === "nats") assert.match(m.address, /\.o-1\.order\.confirmed$/);
      assert.equal(d.attempts.length, 1);
      assert.equal(d.attempts[0].ok, true);
    },
  );

  brokerTest(
    kind,
    "a broker that is down gives retries, then a dead letter, and replay delivers once it is back",
    async (t, consumer) => {
      const broker = new Forwarder(brokerPorts[kind]);
      try {
        await t.endpoint({ kind, url: consumer.url(broker.port), retrySchedule: [100, 200] });
        const { events } = await emitAndRoute(t.sql, [orderEvent(t.slug, "o-1")]);
        const dlq = await waitUntil("a dead letter", async () => {
          const items = (await t.admin("GET", `/admin/dlq?tenant=${t.slug}`)).json.items;
          return items.length === 1 && items;
        });
        assert.equal(dlq[0].tries, 3);
        assert.match(dlq[0].reason, /refused|ECONNREFUSED|connect/i);
        assert.equal(consumer.received.length, 0);

        broker.up();
        assert.deepEqual(
          (await t.admin("POST", "/admin/dlq/replay", { ids: [dlq[0].id] })).json,
          { replayed: 1 },
        );
        const d = await waitUntil("delivered after the replay", async () => {
          const d = await statusOf(t, events[0].id);
          return d?.status === "delivered" && consumer.received.length > 0 && d;
        });
        assert.equal(consumer.received.length, 1, "delivered once");
        assert.equal(consumer.received[0].headers["webhook-id"], dlq[0].deliveryId);
        assert.deepEqual(d.attempts.map((a) => a.ok), [false, false, false, true]);
      } finally {
        broker.down();
      }
    },
  );

  brokerTest(
    kind,
    "deliveries of one endpoint share one broker connection, closed once it is idle",
    async (t, consumer) => {
      const broker = new Forwarder(brokerPorts[kind]).up();
      try {
        await t.endpoint({ kind, url: consumer.url(broker.port) });
        const many = Array.from({ length: 30 }, (_, i) => orderEvent(t.slug, `o-${i % 7}`));
        await emitAndRoute(t.sql, many);
        await waitUntil("30 messages", () => consumer.received.length >= 30);
        assert.equal(broker.accepted, 1, "one connection for every delivery");
        assert.equal(pooledLinks(), 1);
        await waitUntil("the idle connection closed", () => broker.open === 0, 20_000);
        assert.equal(pooledLinks(), 0);
      } finally {
        broker.down();
      }
    },
  );

  brokerTest(
    kind,
    "a broker that accepts but never answers times out and is not recorded as delivered",
    async (t, consumer) => {
      const broker = new Forwarder(brokerPorts[kind]).hang();
      try {
        await t.endpoint({
          kind,
          url: consumer.url(broker.port),
          timeoutMs: 300,
          retrySchedule: [50],
        });
        const { events } = await emitAndRoute(t.sql, [orderEvent(t.slug, "o-1")]);
        const d = await waitUntil("dead", async () => {
          const d = await statusOf(t, events[0].id);
          return d?.status === "dead" && d;
        });
        assert.equal(d.attempts.length, 2);
        assert.match(d.attempts[0].error ?? "", /timed out after \d+ ms/);
        assert.equal(consumer.received.length, 0);
      } finally {
        broker.down();
      }
    },
  );

  brokerTest(
    kind,
    "an ordered endpoint gets one entity's events in version order, also when the first needed retries",
    async (t, consumer) => {
      const broker = new Forwarder(brokerPorts[kind]);
      try {
        await t.endpoint({
          kind,
          url: consumer.url(broker.port),
          ordered: true,
          retrySchedule: [150, 150, 150, 150],
        });
        const { events } = await emitAndRoute(
          t.sql,
          [1, 2, 3, 4, 5].map(() => orderEvent(t.slug, "o-1")),
        );
        await waitUntil("a failed first try", async () => {
          const d = await statusOf(t, events[0].id);
          return (d?.attempts.length ?? 0) >= 1;
        });
        broker.up();
        await waitUntil("five messages", () => consumer.received.length >= 5, 20_000);
        const versions = consumer.received.map((m) => JSON.parse(m.body).version);
        assert.deepEqual(versions.filter((v, i, a) => a.indexOf(v) === i), [1, 2, 3, 4, 5]);
      } finally {
        broker.down();
      }
    },
  );
}

Deno.test({
  name:
    "amqp: a publish the broker does not confirm is not delivered: no such exchange, or no queue bound",
  ignore: !up.amqp,
  fn: () =>
    withDeliveryStack({ worker: true }, async (t) => {
      try {
        await t.endpoint({
          kind: "amqp",
          url: "amqp://127.0.0.1:5672/?exchange=sytest.does-not-exist",
          retrySchedule: [50],
        });
        await t.endpoint({ kind: "amqp", url: "amqp://127.0.0.1:5672/?exchange=amq.topic" });
        const { events } = await emitAndRoute(t.sql, [orderEvent(t.slug, "o-1")]);
        const ds = await waitUntil("both fail", async () => {
          const ds = (await deliveriesForEvents(t.sql, t.slug, [events[0].id])).get(events[0].id);
          return ds?.every((d) => d.attempts.length >= 1) && ds;
        });
        const errors = ds.map((d) => d.attempts[0].error ?? "");
        assert.ok(errors.some((e) => /NOT_FOUND - no exchange 'sytest.does-not-exist'/.test(e)));
        assert.ok(errors.some((e) => /unroutable.*NO_ROUTE/.test(e)), errors.join("; "));
        assert.ok(ds.every((d) => d.status !== "delivered"));
      } finally {
        await closeBrokerLinks();
      }
    }),
});

Deno.test({
  name: "nats: a JetStream publish that no stream acknowledges is not delivered",
  ignore: !up.nats,
  fn: () =>
    withDeliveryStack({ worker: true }, async (t) => {
      try {
        await t.endpoint({
          kind: "nats",
          url: `nats://127.0.0.1:4222?subject=sytest-nostream.{{type}}`,
          retrySchedule: [50],
        });
        const { events } = await emitAndRoute(t.sql, [orderEvent(t.slug, "o-1")]);
        const d = await waitUntil("dead", async () => {
          const d = await statusOf(t, events[0].id);
          return d?.status === "dead" && d;
        });
        assert.match(d.attempts[0].error ?? "", /no JetStream stream stores/);
      } finally {
        await closeBrokerLinks();
      }
    }),
});

Deno.test({
  name: "nats: core NATS needs atMostOnce=true and then counts a flushed publish as sent",
  ignore: !up.nats,
  fn: () =>
    withDeliveryStack({ worker: true }, async (t) => {
      const consumer = await natsConsumer();
      try {
        const subject = `${consumer.prefix}.core`;
        await t.endpoint({
          kind: "nats",
          url: `nats://127.0.0.1:4222?subject=${subject}&atMostOnce=true`,
        });
        await emitAndRoute(t.sql, [orderEvent(t.slug, "o-1")]);
        await waitUntil("the message", () => consumer.received.length === 1);
        assert.equal(consumer.received[0].address, subject);
        assert.equal(consumer.received[0].headers["nats-msg-id"], undefined);
      } finally {
        await closeBrokerLinks();
        await consumer.close();
      }
    }),
});

Deno.test("broker URLs are validated at registration: every problem listed, nothing written", () =>
  withDeliveryStack({ worker: false }, async (t) => {
    const res = await t.admin("POST", "/admin/endpoints", {
      tenant: t.slug,
      kind: "mqtt",
      url: "mqtt://guest:guest@127.0.0.1:1883/x?qos=3&color=red",
      events: ["*"],
      credentials: { type: "header", name: "x", value: "y" },
    });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, "validation_failed");
    const messages = res.json.error.details.map((d: { message: string }) => d.message).join("\n");
    for (
      const m of [
        /user:password/,
        /qos must be 0, 1 or 2/,
        /unknown parameter "color"/,
        /topic/,
        /basic credentials/,
      ]
    ) assert.match(messages, m);
    const wrongScheme = await t.admin("POST", "/admin/endpoints", {
      tenant: t.slug,
      kind: "nats",
      url: "http://127.0.0.1:4222",
      events: ["*"],
    });
    assert.equal(wrongScheme.status, 400);
    assert.match(wrongScheme.text, /nats:\/\/ or tls:\/\//);
    const [{ n }] = await t.sql`select count(*)::int as n from switchyard.endpoints`;
    assert.equal(n, 0);
  }));

Deno.test("a broker on a loopback or private address is refused, at registration and before connecting", () =>
  withDeliveryStack(
    { worker: false, env: { SWITCHYARD_ALLOW_PRIVATE_TARGETS: "0" } },
    async (t) => {
      for (
        const url of [
          "amqp://10.1.2.3/?exchange=x",
          "nats://0x7f.1:4222?subject=a",
          "mqtt://[::1]:1883?topic=a",
        ]
      ) {
        const kind = url.split(":")[0];
        const res = await t.admin("POST", "/admin/endpoints", {
          tenant: t.slug,
          kind,
          url,
          events: ["*"],
        });
        assert.equal(res.status, 400, url);
        assert.match(res.text, /target refused: .* is a (private|loopback) address/);
      }
      // Registered while allowed, sent while not: refused before any connection, and not retried.
      const port = freePort();
      const listener = Deno.listen({ hostname: "127.0.0.1", port });
      let connections = 0;
      void (async () => {
        for await (const c of listener) connections++, c.close();
      })().catch(() => {});
      try {
        const endpoint: DeliveryEndpoint = {
          id: "ep_test",
          tenant: t.slug,
          kind: "amqp",
          name: null,
          url: `amqp://127.0.0.1:${port}/?exchange=x`,
          secrets: [newSecret()],
          headers: {},
          credentials: null,
          transform: null,
          timeoutMs: 1_000,
          chats: [],
        };
        const { events } = await emitAndRoute(t.sql, [orderEvent(t.slug, "o-1")]);
        const r = await amqpConnector.send(
          t.stack.ctx,
          {
            id: "dlv_test",
            tenant: t.slug,
            endpointId: endpoint.id,
            eventId: events[0].id,
            attempt: 1,
            replay: false,
          },
          endpoint,
          events[0],
        );
        assert.equal(r.ok, false);
        assert.equal(r.permanent, true);
        assert.match(r.error ?? "", /target refused: 127\.0\.0\.1 is a loopback address/);
        assert.equal(connections, 0);
      } finally {
        listener.close();
        await closeBrokerLinks();
      }
    },
  ));
