/**
 * What the broker tests share: our own consumers on the real RabbitMQ, NATS JetStream and
 * Mosquitto on 127.0.0.1, and a TCP forwarder in front of a broker that can be down, up or hung.
 */
import amqp from "amqplib";
import { connect as natsConnect, type NatsConnection } from "@nats-io/transport-node";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import mqtt from "mqtt";
import { freePort } from "../local/ports.ts";
import type { BrokerKind } from "../functions/_shared/delivery/connectors/broker-target.ts";

export const brokerPorts: Record<BrokerKind, number> = { amqp: 5672, nats: 4222, mqtt: 1883 };

/** Whether something accepts connections on 127.0.0.1:port (within 1 s). */
export async function listening(port: number): Promise<boolean> {
  try {
    const conn = await Promise.race([
      Deno.connect({ hostname: "127.0.0.1", port }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 1_000)),
    ]);
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** One message as a consumer saw it: body and headers (AMQP headers, NATS headers, MQTT user properties). */
export interface Received {
  body: string;
  headers: Record<string, string>;
  /** AMQP message id, MQTT/NATS: the webhook-id header. */
  messageId?: string;
  type?: string;
  address: string;
}

/** A consumer of one kind with the endpoint URL that reaches it (through `port`, default the broker's). */
export interface Consumer {
  url(port?: number): string;
  received: Received[];
  close(): Promise<void>;
}

const suffix = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10);

export async function amqpConsumer(): Promise<Consumer & { exchange: string }> {
  const exchange = `sytest.${suffix()}`;
  const conn = await amqp.connect("amqp://guest:guest@127.0.0.1:5672/");
  const ch = await conn.createChannel();
  await ch.assertExchange(exchange, "topic", { durable: false, autoDelete: true });
  const { queue } = await ch.assertQueue("", { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, exchange, "order.#");
  const received: Received[] = [];
  await ch.consume(queue, (m) => {
    if (!m) return;
    received.push({
      body: m.content.toString("utf8"),
      headers: Object.fromEntries(
        Object.entries(m.properties.headers ?? {}).map(([k, v]) => [k, String(v)]),
      ),
      messageId: m.properties.messageId,
      type: m.properties.type,
      address: m.fields.routingKey,
    });
  }, { noAck: true });
  return {
    exchange,
    received,
    url: (port = 5672) => `amqp://127.0.0.1:${port}/?exchange=${exchange}&routingKey={{type}}`,
    async close() {
      await conn.close().catch(() => {});
    },
  };
}

export async function natsConsumer(): Promise<
  Consumer & { stream: string; prefix: string; jsm: JetStreamManager; nc: NatsConnection }
> {
  const stream = `SYTEST_${suffix()}`;
  const prefix = `sytest.${suffix()}`;
  const nc = await natsConnect({ servers: "127.0.0.1:4222" });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
  const received: Received[] = [];
  // What the stream stored, in order: the JetStream ack is what made it a delivery.
  const sub = nc.subscribe(`${prefix}.>`, {
    callback: (_err, m) => {
      const headers: Record<string, string> = {};
      for (const k of m.headers?.keys() ?? []) headers[k.toLowerCase()] = m.headers!.get(k);
      received.push({
        body: m.string(),
        headers,
        messageId: headers["webhook-id"],
        address: m.subject,
      });
    },
  });
  return {
    stream,
    prefix,
    jsm,
    nc,
    received,
    url: (port = 4222) =>
      `nats://127.0.0.1:${port}?subject=${prefix}.{{entity.id}}.{{type}}&stream=${stream}`,
    async close() {
      sub.unsubscribe();
      await jsm.streams.delete(stream).catch(() => {});
      await nc.close();
    },
  };
}

export async function mqttConsumer(): Promise<Consumer & { prefix: string }> {
  const prefix = `sytest/${suffix()}`;
  const client = await mqtt.connectAsync("mqtt://127.0.0.1:1883", {
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
  const received: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    const props = (packet.properties?.userProperties ?? {}) as Record<string, string | string[]>;
    const headers = Object.fromEntries(
      Object.entries(props).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]),
    );
    received.push({
      body: new TextDecoder().decode(payload),
      headers: { ...headers, "content-type": packet.properties?.contentType ?? "" },
      messageId: headers["webhook-id"],
      address: topic,
    });
  });
  await client.subscribeAsync(`${prefix}/#`, { qos: 1 });
  return {
    prefix,
    received,
    url: (port = 1883) => `mqtt://127.0.0.1:${port}?topic=${prefix}/{{entity.id}}&qos=1`,
    async close() {
      await client.endAsync(true).catch(() => {});
    },
  };
}

export const consumers: Record<BrokerKind, () => Promise<Consumer>> = {
  amqp: amqpConsumer,
  nats: natsConsumer,
  mqtt: mqttConsumer,
};

/**
 * A TCP forwarder on its own port to a real broker: `down()` refuses connections (and drops the
 * open ones), `up()` listens again, `hang()` accepts but passes nothing on, as a stuck broker.
 */
export class Forwarder {
  readonly port = freePort();
  #listener: Deno.Listener | null = null;
  #conns = new Set<Deno.Conn>();
  #hung = false;
  /** Connections accepted so far, and how many of them are still open. */
  accepted = 0;
  open = 0;

  constructor(readonly targetPort: number) {}

  up(): this {
    this.#hung = false;
    if (this.#listener) return this;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.#listener = listener;
    void (async () => {
      for await (const client of listener) void this.#pipe(client);
    })().catch(() => {});
    return this;
  }

  hang(): this {
    this.up();
    this.#hung = true;
    this.#dropAll();
    return this;
  }

  down(): this {
    this.#listener?.close();
    this.#listener = null;
    this.#dropAll();
    return this;
  }

  #dropAll() {
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    this.#conns.clear();
  }

  async #pipe(client: Deno.Conn) {
    this.#conns.add(client);
    this.accepted++;
    this.open++;
    let closed = false;
    const closeClient = () => {
      if (!closed) this.open--;
      closed = true;
    };
    if (this.#hung) return; // held open, never answered
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
    } catch {
      client.close();
      closeClient();
      return;
    }
    this.#conns.add(server);
    const copy = async (from: Deno.Conn, to: Deno.Conn) => {
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await from.read(buf);
          if (n === null || this.#hung) break;
          let off = 0;
          while (off < n) off += await to.write(buf.subarray(off, n));
        }
      } catch { /* closed */ }
      closeClient();
      for (const c of [from, to]) {
        try {
          c.close();
        } catch { /* already closed */ }
        this.#conns.delete(c);
      }
    };
    void copy(client, server);
    void copy(server, client);
  }
}
