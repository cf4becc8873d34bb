/**
 * How a delivery reaches its target: one Connector per endpoint kind, looked up in the registry
 * below (a new kind is a file in connectors/ and a line there: CONTRIBUTING.md).
 */
import type { AppContext } from "../context.ts";
import type { LoggedEvent } from "../events/envelope.ts";
import type { Credentials } from "./credentials.ts";
import type { Transform } from "./transform.ts";
import { webhookConnector } from "./connectors/webhook.ts";
import { restConnector } from "./connectors/rest.ts";
import { soapConnector } from "./connectors/soap.ts";
import { graphqlConnector } from "./connectors/graphql.ts";
import { telegramConnector } from "../telegram/connector.ts";
import { amqpConnector } from "./connectors/amqp.ts";
import { natsConnector } from "./connectors/nats.ts";
import { mqttConnector } from "./connectors/mqtt.ts";

export const endpointKinds = [
  "webhook",
  "rest",
  "soap",
  "graphql",
  "telegram",
  "amqp",
  "nats",
  "mqtt",
] as const;
export type EndpointKind = typeof endpointKinds[number];

/** An endpoint as a connector needs it: secrets and credentials in the clear, never serialized. */
export interface DeliveryEndpoint {
  id: string;
  tenant: string;
  kind: EndpointKind;
  name: string | null;
  url: string | null;
  /** Signing secrets (`whsec_…`): the current one first, then one still inside its rotation overlap. */
  secrets: string[];
  headers: Record<string, string>;
  credentials: Credentials | null;
  transform: Transform | null;
  timeoutMs: number;
  chats: string[];
}

/** One try of one delivery. `id` is stable across retries (it is the webhook-id). */
export interface DeliveryTry {
  id: string;
  tenant: string;
  endpointId: string;
  eventId: string;
  /** 1-based number of this try. */
  attempt: number;
  replay: boolean;
}

export interface SendResult {
  ok: boolean;
  status?: number;
  latencyMs: number;
  /** At most 4 KiB of what the target answered. */
  responseExcerpt?: string;
  /** The target asked us to wait (Retry-After, Telegram's retry_after). */
  retryAfterMs?: number;
  /** Retrying cannot help (e.g. a refused target, a chat that blocked the bot): dead-letter now. */
  permanent?: boolean;
  /** Not sent: our own flow control wants it later (after retryAfterMs); not counted as a try. */
  deferred?: boolean;
  error?: string;
}

export interface Connector {
  send(
    ctx: AppContext,
    delivery: DeliveryTry,
    endpoint: DeliveryEndpoint,
    event: LoggedEvent,
  ): Promise<SendResult>;
}

const registry = new Map<EndpointKind, Connector>([
  ["webhook", webhookConnector],
  ["rest", restConnector],
  ["soap", soapConnector],
  ["graphql", graphqlConnector],
  ["telegram", telegramConnector],
  ["amqp", amqpConnector],
  ["nats", natsConnector],
  ["mqtt", mqttConnector],
]);

export function connectorFor(kind: EndpointKind): Connector | undefined {
  return registry.get(kind);
}
