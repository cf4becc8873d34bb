/**
 * What the broker connectors share: the target parsed from the endpoint's URL, the body (the
 * envelope or the endpoint's template), headers that carry the delivery id, event id, type and a
 * Standard Webhooks signature, one deadline, and the outcome as a SendResult.
 */
import type { AppContext } from "../../context.ts";
import type { Connector, DeliveryEndpoint, DeliveryTry, SendResult } from "../connector.ts";
import { type LoggedEvent, toEnvelope } from "../../events/envelope.ts";
import { render, renderText } from "../transform.ts";
import { webhookHeaders } from "../signing.ts";
import { type BrokerLink, BrokerRefusedError, discardLink, withLink } from "./broker-pool.ts";
import { type BrokerTarget, parseBrokerTarget } from "./broker-target.ts";
import { DeadlineError } from "../../deadline.ts";

/** One message for a broker: the body and its headers (or AMQP properties, MQTT user properties). */
export interface BrokerMessage {
  body: string;
  headers: Record<string, string>;
  envelope: ReturnType<typeof toEnvelope>;
}

/** Publishing could not be done and retrying will not change that (a bad rendered subject, say). */
export class BrokerTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BrokerTargetError";
  }
}

export interface PublishInput<T extends BrokerTarget> {
  delivery: DeliveryTry;
  endpoint: DeliveryEndpoint;
  target: T;
  message: BrokerMessage;
  /** The routing key, subject or topic for this message (`address` below). */
  address: string;
  /** Drops this link from the pool and closes it: after a timeout its state is unknown. */
  discard: () => void;
  /** What is left of the endpoint's timeout, which bounds the whole send (open, channel, confirm). */
  remainingMs: () => number;
  now: number;
}

export type BrokerAuth = ReturnType<typeof brokerAuth>;

/** What one broker kind adds to the shared parts. */
export interface BrokerDriver<T extends BrokerTarget, L extends BrokerLink> {
  /** The rendered routing key, subject or topic; throws BrokerTargetError when it cannot be used. */
  address(target: T, message: BrokerMessage): string;
  /** Opens a connection within `timeoutMs`, what is left of the send's (the pool runs the SSRF guard first). */
  open(target: T, auth: BrokerAuth, timeoutMs: number): Promise<L>;
  /** Resolves to the attempt's excerpt once the broker confirmed the message; throws otherwise. */
  publish(link: L, input: PublishInput<T>): Promise<string>;
}

export function brokerConnector<T extends BrokerTarget, L extends BrokerLink>(
  kind: T["kind"],
  driver: BrokerDriver<T, L>,
): Connector {
  return {
    async send(ctx, delivery, endpoint, event) {
      const started = performance.now();
      const done = (r: Omit<SendResult, "latencyMs">): SendResult => ({
        ...r,
        latencyMs: Math.round(performance.now() - started),
      });
      const parsed = parseBrokerTarget(kind, endpoint.url ?? "");
      if (!parsed.ok) {
        return done({ ok: false, permanent: true, error: `bad target: ${parsed.problems[0]}` });
      }
      let message: BrokerMessage;
      try {
        message = brokerMessage(ctx, delivery, endpoint, event);
      } catch (err) {
        return done({
          ok: false,
          permanent: true,
          error: `transform failed: ${(err as Error).message}`,
        });
      }
      try {
        const target = parsed.target as T;
        const address = driver.address(target, message);
        const key = linkKey(endpoint);
        const until = started + endpoint.timeoutMs;
        const remainingMs = () => Math.max(1, Math.round(until - performance.now()));
        const excerpt = await withLink(
          ctx,
          key,
          target,
          () => driver.open(target, brokerAuth(endpoint), remainingMs()),
          (link: L) =>
            driver.publish(link, {
              delivery,
              endpoint,
              target,
              message,
              address,
              discard: () => discardLink(key, link),
              remainingMs,
              now: ctx.clock.now(),
            }),
        );
        return done({ ok: true, responseExcerpt: excerpt });
      } catch (err) {
        const e = err as Error;
        const permanent = err instanceof BrokerRefusedError || err instanceof BrokerTargetError;
        return done({
          ok: false,
          ...(permanent ? { permanent } : {}),
          error: err instanceof DeadlineError
            ? `${err.what} timed out after ${err.ms} ms`
            : permanent
            ? e.message
            : `${kind} publish failed: ${e.message ?? String(err)}`.slice(0, 500),
        });
      }
    },
  };
}

/** The body and signed headers; the endpoint's own headers go first and cannot override ours. */
export function brokerMessage(
  ctx: AppContext,
  delivery: DeliveryTry,
  endpoint: DeliveryEndpoint,
  event: LoggedEvent,
): BrokerMessage {
  const envelope = toEnvelope(event);
  const body = JSON.stringify(
    endpoint.transform?.body !== undefined ? render(endpoint.transform.body, envelope) : envelope,
  );
  const own = Object.fromEntries(
    Object.entries(endpoint.headers).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return {
    body,
    envelope,
    headers: {
      ...own,
      "content-type": "application/json",
      "switchyard-event-id": event.id,
      "switchyard-event-type": event.type,
      ...webhookHeaders(endpoint.secrets, delivery.id, ctx.clock.now(), body),
    },
  };
}

/** A routing key, subject or topic template rendered for one message. */
export function renderAddress(template: string, message: BrokerMessage): string {
  return renderText(template, message.envelope);
}

/** The username/password (or NATS token) an endpoint's sealed credentials give. */
export function brokerAuth(
  endpoint: DeliveryEndpoint,
): { username?: string; password?: string; token?: string } {
  const c = endpoint.credentials;
  if (!c) return {};
  if (c.type === "basic") return { username: c.username, password: c.password };
  if (c.type === "bearer") return { token: c.token };
  return {};
}

function linkKey(endpoint: DeliveryEndpoint): string {
  return JSON.stringify([endpoint.id, endpoint.url, endpoint.credentials]);
}
