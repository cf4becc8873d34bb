/**
 * The `amqp` endpoint kind (RabbitMQ and other AMQP 0-9-1 brokers): a persistent, mandatory
 * publish on a confirm channel. Delivered only when the broker acks it; a nack, a channel error
 * (an exchange that does not exist) or a return (no queue bound) is a failed try.
 */
import amqp, { type ChannelModel, type ConfirmChannel, type Options } from "amqplib";
import { Buffer } from "node:buffer";
import { type BrokerLink, openWithin } from "./broker-pool.ts";
import { withDeadline } from "../../deadline.ts";
import { type BrokerAuth, brokerConnector, BrokerTargetError, renderAddress } from "./broker.ts";
import type { AmqpTarget } from "./broker-target.ts";

class AmqpLink implements BrokerLink {
  closed = false;
  #channel: Promise<ConfirmChannel> | null = null;
  /** Why the broker closed the last channel; its publishes only learn "channel closed". */
  #channelError: string | null = null;
  /** Messages the broker handed back as unroutable, by message id (a return precedes its ack). */
  readonly returned = new Map<string, string>();

  constructor(readonly conn: ChannelModel) {
    // Without an "error" listener an emitter's error would throw in the process.
    conn.on("error", () => {});
    conn.on("close", () => (this.closed = true));
  }

  channel(timeoutMs: number): Promise<ConfirmChannel> {
    if (!this.#channel) {
      this.#channelError = null;
      const opening: Promise<ConfirmChannel> = this.conn.createConfirmChannel().then((ch) => {
        ch.on("error", (err: Error) => (this.#channelError = err.message));
        ch.on("close", () => {
          if (this.#channel === opening) this.#channel = null;
        });
        ch.on("return", (msg) => {
          const id = msg.properties.messageId;
          // A basic.return's fields carry the reply; the typings only know deliveries' fields.
          const f = msg.fields as unknown as { replyCode?: number; replyText?: string };
          if (id) this.returned.set(id, `${f.replyCode} ${f.replyText}`);
        });
        return ch;
      });
      this.#channel = opening;
      opening.catch(() => {
        if (this.#channel === opening) this.#channel = null;
      });
    }
    return withDeadline(this.#channel, timeoutMs, "AMQP channel open");
  }

  get channelError(): string | null {
    return this.#channelError;
  }

  async close() {
    this.closed = true;
    await this.conn.close();
  }

  destroy() {
    this.closed = true;
    // amqplib has no public "drop it": the socket under its connection.
    (this.conn as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream
      ?.destroy();
  }
}

async function openLink(target: AmqpTarget, auth: BrokerAuth, ms: number) {
  const connecting = amqp.connect({
    protocol: target.tls ? "amqps" : "amqp",
    hostname: target.host,
    port: target.port,
    vhost: target.vhost,
    username: auth.username ?? "guest",
    password: auth.password ?? "guest",
    // Finds a broker that vanished without closing the socket.
    heartbeat: 30,
  }, { timeout: ms, ...(target.tls ? { servername: target.host } : {}) });
  return new AmqpLink(await openWithin(connecting, ms, "AMQP connect"));
}

export const amqpConnector = brokerConnector<AmqpTarget, AmqpLink>("amqp", {
  address(target, message) {
    const routingKey = renderAddress(target.routingKey, message);
    if (new TextEncoder().encode(routingKey).length > 255) {
      throw new BrokerTargetError("routing key is longer than 255 bytes");
    }
    return routingKey;
  },
  open: openLink,
  async publish(link, { delivery, target, message, address, discard, now, remainingMs }) {
    const ch = await link.channel(remainingMs());
    const { "content-type": contentType, ...headers } = message.headers;
    const options: Options.Publish = {
      persistent: true,
      mandatory: true,
      contentType,
      messageId: delivery.id,
      type: message.envelope.type,
      timestamp: Math.floor(now / 1000),
      appId: "switchyard",
      ...(message.envelope.correlationId ? { correlationId: message.envelope.correlationId } : {}),
      headers,
    };
    link.returned.delete(delivery.id);
    try {
      await withDeadline(
        new Promise<void>((resolve, reject) =>
          ch.publish(
            target.exchange,
            address,
            Buffer.from(message.body),
            options,
            (err) => (err ? reject(err) : resolve()),
          )
        ),
        remainingMs(),
        "AMQP publish confirm",
        discard,
      );
    } catch (err) {
      const why = link.channelError;
      throw why ? new Error(why) : err;
    }
    const returned = link.returned.get(delivery.id);
    if (returned) {
      link.returned.delete(delivery.id);
      throw new Error(`returned unroutable (${returned}): no queue is bound for "${address}"`);
    }
    return `confirmed by the broker: exchange "${target.exchange}", routing key "${address}"`;
  },
});
