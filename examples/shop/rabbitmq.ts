/**
 * The shop's RabbitMQ side (optional): the topic exchange Switchyard publishes `order.*` to, and a
 * consumer as the shop's other services would run it, verifying each message's signature.
 * `deno run -A examples/shop/rabbitmq.ts <whsec_…>` prints what arrives.
 */
import amqp from "amqplib";
import { Webhook } from "standardwebhooks";
import { parseBrokerTarget } from "../../functions/_shared/delivery/connectors/broker-target.ts";

/** Where the shop publishes by default: the local RabbitMQ, exchange `shop.events`. */
export const defaultRabbitUrl = "amqp://127.0.0.1:5672/?exchange=shop.events&routingKey={{type}}";

function connection(url: string) {
  const parsed = parseBrokerTarget("amqp", url);
  if (!parsed.ok || parsed.target.kind !== "amqp") {
    throw new Error(`not an amqp endpoint URL: ${url}`);
  }
  const t = parsed.target;
  return {
    target: t,
    open: () =>
      amqp.connect({
        protocol: t.tls ? "amqps" : "amqp",
        hostname: t.host,
        port: t.port,
        vhost: t.vhost,
      }, { timeout: 5_000 }),
  };
}

/** Declares the durable topic exchange, so publishes have somewhere to go. */
export async function declareExchange(url: string): Promise<void> {
  const { target, open } = connection(url);
  const conn = await open();
  try {
    const ch = await conn.createChannel();
    await ch.assertExchange(target.exchange, "topic", { durable: true });
  } finally {
    await conn.close();
  }
}

export interface OrderMessage {
  type: string;
  orderId: string;
  verified: boolean;
}

/** A queue bound to `order.#`, each message checked against the endpoint's signing secret. */
export async function consumeOrders(
  url: string,
  secret: string,
  onMessage: (m: OrderMessage) => void,
): Promise<() => Promise<void>> {
  const { target, open } = connection(url);
  const conn = await open();
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue("", { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, target.exchange, "order.#");
  await ch.consume(queue, (msg) => {
    if (!msg) return;
    const body = msg.content.toString("utf8");
    const headers = Object.fromEntries(
      Object.entries(msg.properties.headers ?? {}).map(([k, v]) => [k, String(v)]),
    );
    let verified = true;
    try {
      new Webhook(secret).verify(body, headers);
    } catch {
      verified = false;
    }
    const event = JSON.parse(body);
    onMessage({ type: event.type, orderId: event.entity.id, verified });
  }, { noAck: true });
  return async () => {
    await conn.close().catch(() => {});
  };
}

if (import.meta.main) {
  const secret = Deno.args[0];
  if (!secret) {
    console.error("usage: deno run -A examples/shop/rabbitmq.ts <signing secret> [endpoint URL]");
    Deno.exit(2);
  }
  const url = Deno.args[1] ?? defaultRabbitUrl;
  await consumeOrders(url, secret, (m) => console.log(JSON.stringify(m)));
  console.log(`listening for order.* on ${url}`);
}
