/**
 * The `mqtt` endpoint kind (MQTT 5): a publish at the endpoint's QoS, delivered at QoS 1 when the
 * broker's PUBACK came back without an error code (QoS 2: PUBCOMP). QoS 0 has no confirmation and
 * is at most once by choice of whoever registered it. Headers travel as user properties.
 */
import mqtt, { type IConnackPacket, type MqttClient } from "mqtt";
import type { BrokerLink } from "./broker-pool.ts";
import { withDeadline } from "../../deadline.ts";
import { type BrokerAuth, brokerConnector, BrokerTargetError, renderAddress } from "./broker.ts";
import { type MqttTarget, topicProblems } from "./broker-target.ts";
import { randomToken } from "../../secrets.ts";

class MqttLink implements BrokerLink {
  closed = false;
  /** The broker's Receive Maximum: unacknowledged QoS ≥ 1 publishes it accepts at once. */
  readonly #limit: number;
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly client: MqttClient, connack: IConnackPacket) {
    this.#limit = connack.properties?.receiveMaximum ?? 65_535;
    client.on("error", () => {});
    client.on("close", () => (this.closed = true));
  }

  /** Runs `fn` within the broker's in-flight window, so a burst never breaks its flow control. */
  async inWindow<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#inFlight >= this.#limit) await new Promise<void>((r) => this.#waiting.push(r));
    this.#inFlight++;
    try {
      return await fn();
    } finally {
      this.#inFlight--;
      this.#waiting.shift()?.();
    }
  }

  async close() {
    this.closed = true;
    await this.client.endAsync();
  }

  destroy() {
    this.closed = true;
    this.client.end(true);
  }
}

async function openLink(target: MqttTarget, auth: BrokerAuth, ms: number) {
  const client = mqtt.connect({
    protocol: target.tls ? "mqtts" : "mqtt",
    host: target.host,
    port: target.port,
    protocolVersion: 5,
    clientId: `switchyard_${randomToken(12)}`,
    clean: true,
    // Ours (below) fires first, so every broker's timeout reads the same.
    connectTimeout: ms + 1_000,
    // No silent reconnects: a lost connection closes this link and the next delivery opens one.
    reconnectPeriod: 0,
    ...(auth.username !== undefined ? { username: auth.username, password: auth.password } : {}),
  });
  const connecting = new Promise<IConnackPacket>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
    client.once("close", () => reject(new Error("connection closed before CONNACK")));
  });
  try {
    const connack = await withDeadline(connecting, ms, "MQTT connect");
    return new MqttLink(client, connack);
  } catch (err) {
    client.on("error", () => {});
    client.end(true);
    throw err;
  }
}

export const mqttConnector = brokerConnector<MqttTarget, MqttLink>("mqtt", {
  address(target, message) {
    const topic = renderAddress(target.topic, message);
    const bad = topicProblems(topic);
    if (bad.length) throw new BrokerTargetError(`rendered ${bad[0]}: "${topic}"`);
    return topic;
  },
  open: openLink,
  async publish(link, { target, message, address, discard, remainingMs }) {
    const { "content-type": contentType, ...userProperties } = message.headers;
    const publish = () =>
      withDeadline(
        link.client.publishAsync(address, message.body, {
          qos: target.qos,
          retain: target.retain,
          properties: { contentType, userProperties },
        }),
        remainingMs(),
        target.qos === 0 ? "MQTT publish" : target.qos === 1 ? "MQTT PUBACK" : "MQTT PUBCOMP",
        discard,
      );
    if (target.qos === 0) {
      await publish();
      return `written to "${address}" (QoS 0, at most once)`;
    }
    await link.inWindow(publish);
    return `acknowledged by the broker: "${address}" at QoS ${target.qos}`;
  },
});
