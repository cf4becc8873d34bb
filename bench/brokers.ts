/**
 * `npm run bench -- brokers`: messages/s to RabbitMQ, NATS JetStream and Mosquitto through
 * Switchyard (routed deliveries, the delivery worker, confirmed publishes, counted by our own
 * consumer) beside the broker's own confirmed publish rate from a plain client in the same run.
 * A broker that does not answer on its usual port is left out with a note.
 */
import amqp from "amqplib";
import { Buffer } from "node:buffer";
import { connect as natsConnect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import mqtt from "mqtt";
import { testDatabase } from "../tests/harness.ts";
import {
  amqpConsumer,
  brokerPorts,
  type Consumer,
  listening,
  mqttConsumer,
  natsConsumer,
} from "../tests/broker-fixtures.ts";
import { loadConfig } from "../functions/_shared/config.ts";
import { createContext } from "../functions/_shared/context.ts";
import { createLogger } from "../functions/_shared/log.ts";
import { createTenant } from "../functions/_shared/tenants.ts";
import type { Sql } from "../functions/_shared/db.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";
import { envelopeSelect, type EventRow, rowToEvent } from "../functions/_shared/events/envelope.ts";
import { routeEvents } from "../functions/_shared/delivery/route.ts";
import { createEndpoint } from "../functions/_shared/delivery/endpoints.ts";
import { endpointInputSchema } from "../functions/_shared/delivery/endpoint-schema.ts";
import { closeBrokerLinks } from "../functions/_shared/delivery/connectors/broker-pool.ts";
import type { BrokerKind } from "../functions/_shared/delivery/connectors/broker-target.ts";
import {
  configureDeliveries,
  deliverDue,
  stopDeliveries,
} from "../functions/_shared/pipeline/deliver.ts";
import { report } from "./stats.ts";

const MESSAGES = Number(Deno.env.get("BENCH_BROKER_MESSAGES") ?? 2_000);
/** The plain client keeps as many unconfirmed publishes in flight as the worker sends at once. */
const IN_FLIGHT = 128;

const db = await testDatabase();
const ctx = createContext(
  loadConfig({
    DATABASE_URL: db.url,
    SUPABASE_SERVICE_ROLE_KEY: "bench-service-key-0123456789",
    SWITCHYARD_ALLOW_PRIVATE_TARGETS: "1",
    SWITCHYARD_ENCRYPTION_KEY: btoa("b".repeat(32)),
    LOG_LEVEL: "error",
    DB_POOL_SIZE: "20",
  }),
  { log: createLogger("bench", { level: "error" }) },
);

/** Waits until the consumer saw `count` messages; polls every 10 ms. */
async function until(consumer: Consumer, count: number, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (consumer.received.length < count) {
    if (Date.now() > deadline) {
      throw new Error(`benchmark timed out at ${consumer.received.length}/${count}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `n` publishes, at most IN_FLIGHT unconfirmed at once. */
async function windowed(n: number, publish: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < n) await publish(next++);
  }));
}

const body = (i: number) => JSON.stringify({ id: `plain-${i}`, type: "order.confirmed", i });

const plain: Record<BrokerKind, (c: Consumer) => Promise<void>> = {
  async amqp(c) {
    const conn = await amqp.connect("amqp://guest:guest@127.0.0.1:5672/");
    const ch = await conn.createConfirmChannel();
    const exchange = (c as Consumer & { exchange: string }).exchange;
    await windowed(MESSAGES, (i) =>
      new Promise<void>((resolve, reject) =>
        ch.publish(
          exchange,
          "order.confirmed",
          Buffer.from(body(i)),
          { persistent: true, mandatory: true },
          (err) => (err ? reject(err) : resolve()),
        )
      ));
    await conn.close();
  },
  async nats(c) {
    const nc = await natsConnect({ servers: "127.0.0.1:4222" });
    const js = jetstream(nc);
    const prefix = (c as Consumer & { prefix: string }).prefix;
    await windowed(MESSAGES, (i) => js.publish(`${prefix}.plain.order.confirmed`, body(i)));
    await nc.close();
  },
  async mqtt(c) {
    const client = await mqtt.connectAsync("mqtt://127.0.0.1:1883", { protocolVersion: 5 });
    const prefix = (c as Consumer & { prefix: string }).prefix;
    await windowed(MESSAGES, (i) => client.publishAsync(`${prefix}/plain`, body(i), { qos: 1 }));
    await client.endAsync();
  },
};

const consumerOf: Record<BrokerKind, () => Promise<Consumer>> = {
  amqp: amqpConsumer,
  nats: natsConsumer,
  mqtt: mqttConsumer,
};

const rows: Record<string, string | number>[] = [];
const skipped: string[] = [];
try {
  await createTenant(ctx.sql, "bench-brokers", "bench-brokers");
  for (const kind of ["amqp", "nats", "mqtt"] as const) {
    if (!(await listening(brokerPorts[kind]))) {
      skipped.push(`${kind}: nothing listens on 127.0.0.1:${brokerPorts[kind]}`);
      continue;
    }
    // 1. Through Switchyard: route MESSAGES events to one endpoint of the kind, let a worker drain.
    const consumer = await consumerOf[kind]();
    const ep = await createEndpoint(
      ctx,
      endpointInputSchema.parse({
        tenant: "bench-brokers",
        kind,
        url: consumer.url(),
        events: ["order.*"],
      }),
    );
    for (let off = 0; off < MESSAGES; off += 500) {
      const n = Math.min(500, MESSAGES - off);
      const appended = await appendEvents(
        ctx.sql,
        Array.from({ length: n }, (_, i) => ({
          tenant: "bench-brokers",
          type: "order.confirmed",
          entity: { type: "order", id: `o-${off + i}` },
          data: { status: "CONFIRMED", total: 42 },
        })),
      );
      const events =
        (await ctx.sql<EventRow[]>`select ${ctx.sql.unsafe(envelopeSelect)} from switchyard.events e
        where e.id = any(${appended.map((a) => a.id)}::text[]) order by e.seq`).map(rowToEvent);
      await ctx.sql.begin((tx) => routeEvents(tx as unknown as Sql, events));
    }
    let started = performance.now();
    configureDeliveries(ctx, { batchSize: 100, maxInFlight: IN_FLIGHT });
    // A drain claims for at most 20 s; the scheduler would wake the next one, as this does.
    const kick = setInterval(() => void deliverDue(ctx), 1_000);
    void deliverDue(ctx);
    await until(consumer, MESSAGES);
    clearInterval(kick);
    const swSeconds = (performance.now() - started) / 1000;
    await stopDeliveries(ctx);
    await ctx.sql`update switchyard.endpoints set enabled = false where id = ${ep.id}`;
    await closeBrokerLinks();

    // 2. A plain client of the same broker, same confirmation, same number in flight.
    consumer.received.length = 0;
    started = performance.now();
    await plain[kind](consumer);
    await until(consumer, MESSAGES);
    const plainSeconds = (performance.now() - started) / 1000;
    await consumer.close();

    const sw = MESSAGES / swSeconds;
    const base = MESSAGES / plainSeconds;
    rows.push({
      kind,
      system: "switchyard",
      messages: MESSAGES,
      seconds: swSeconds,
      "messages/s": Math.round(sw),
      "of plain": `${Math.round((sw / base) * 100)}%`,
    });
    rows.push({
      kind,
      system: "plain client",
      messages: MESSAGES,
      seconds: plainSeconds,
      "messages/s": Math.round(base),
      "of plain": "100%",
    });
  }
  await report("brokers", rows, { skipped, inFlight: IN_FLIGHT });
  for (const s of skipped) console.log(`skipped ${s}`);
} finally {
  await closeBrokerLinks();
  await ctx.close();
  await db.drop();
}
