/**
 * The `nats` endpoint kind: a JetStream publish, delivered only when a stream acknowledged it
 * (deduplicated by the delivery id as `Nats-Msg-Id`); with `atMostOnce=true`, a core NATS publish
 * that the server has taken in (a flush), for subjects where losing a message is acceptable.
 */
import { connect, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { type BrokerLink, openWithin } from "./broker-pool.ts";
import { withDeadline } from "../../deadline.ts";
import { type BrokerAuth, brokerConnector, BrokerTargetError, renderAddress } from "./broker.ts";
import { type NatsTarget, subjectProblems } from "./broker-target.ts";

class NatsLink implements BrokerLink {
  closed = false;
  readonly js: JetStreamClient;

  constructor(readonly nc: NatsConnection) {
    this.js = jetstream(nc);
    void nc.closed().then(() => (this.closed = true));
  }

  async close() {
    this.closed = true;
    await this.nc.drain();
  }

  destroy() {
    this.closed = true;
    void this.nc.close().catch(() => {});
  }
}

async function openLink(target: NatsTarget, auth: BrokerAuth, ms: number) {
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  const connecting = connect({
    servers: `${host}:${target.port}`,
    name: "switchyard",
    timeout: ms,
    // A lost connection is closed and the next delivery opens another; retries are ours.
    reconnect: false,
    ...(auth.username ? { user: auth.username, pass: auth.password } : {}),
    ...(auth.token ? { token: auth.token } : {}),
    ...(target.tls ? { tls: {} } : {}),
  });
  return new NatsLink(await openWithin(connecting, ms, "NATS connect"));
}

export const natsConnector = brokerConnector<NatsTarget, NatsLink>("nats", {
  address(target, message) {
    const subject = renderAddress(target.subject, message);
    const bad = subjectProblems(subject);
    if (bad.length) throw new BrokerTargetError(`rendered ${bad[0]}: "${subject}"`);
    return subject;
  },
  open: openLink,
  async publish(link, { delivery, target, message, address, discard, remainingMs }) {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(message.headers)) h.set(k, v);
    if (target.atMostOnce) {
      link.nc.publish(address, message.body, { headers: h });
      await withDeadline(link.nc.flush(), remainingMs(), "NATS flush", discard);
      return `published to "${address}" (core NATS, at most once)`;
    }
    try {
      const ack = await link.js.publish(address, message.body, {
        msgID: delivery.id,
        timeout: remainingMs(),
        headers: h,
        ...(target.stream ? { expect: { streamName: target.stream } } : {}),
      });
      return `stored by stream ${ack.stream} as #${ack.seq}${ack.duplicate ? " (duplicate)" : ""}`;
    } catch (err) {
      // No responders: no stream listens on the subject, whatever the client calls it.
      if ((err as Error).name === "JetStreamNotEnabled") {
        throw new Error(`no JetStream stream stores "${address}" (no ack)`);
      }
      throw err;
    }
  },
});
