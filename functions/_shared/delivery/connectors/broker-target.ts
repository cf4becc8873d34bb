/**
 * Broker endpoint targets, pure: an `amqp`, `nats` or `mqtt` endpoint's URL says where the broker
 * is and where a message goes (docs/CONTRACT.md, "Broker endpoints"); parsed at registration (a
 * 400 lists the problems) and again at send time.
 */
import { templateProblems } from "../transform.ts";

export const brokerKinds = ["amqp", "nats", "mqtt"] as const;
export type BrokerKind = typeof brokerKinds[number];

export function isBrokerKind(kind: string): kind is BrokerKind {
  return (brokerKinds as readonly string[]).includes(kind);
}

interface BrokerAddress {
  /** Normalized the way an http URL's host is, so what the SSRF guard checks is what we dial. */
  host: string;
  port: number;
  tls: boolean;
}

export interface AmqpTarget extends BrokerAddress {
  kind: "amqp";
  vhost: string;
  /** "" is the default exchange (the routing key names a queue). */
  exchange: string;
  /** A text template (`{{type}}`), rendered against the envelope per message. */
  routingKey: string;
}

export interface NatsTarget extends BrokerAddress {
  kind: "nats";
  subject: string;
  /** When set, a JetStream ack only counts if this stream stored the message. */
  stream: string | null;
  /** Core NATS publish (no ack, at most once), only when asked for explicitly. */
  atMostOnce: boolean;
}

export interface MqttTarget extends BrokerAddress {
  kind: "mqtt";
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export type BrokerTarget = AmqpTarget | NatsTarget | MqttTarget;

const schemes: Record<BrokerKind, Record<string, { port: number; tls: boolean }>> = {
  amqp: { "amqp:": { port: 5672, tls: false }, "amqps:": { port: 5671, tls: true } },
  nats: { "nats:": { port: 4222, tls: false }, "tls:": { port: 4222, tls: true } },
  mqtt: { "mqtt:": { port: 1883, tls: false }, "mqtts:": { port: 8883, tls: true } },
};

const params: Record<BrokerKind, string[]> = {
  amqp: ["exchange", "routingKey"],
  nats: ["subject", "stream", "atMostOnce"],
  mqtt: ["topic", "qos", "retain"],
};

export const urlExamples: Record<BrokerKind, string> = {
  amqp: "amqp://broker:5672/vhost?exchange=orders&routingKey={{type}}",
  nats: "nats://broker:4222?subject={{type}}&stream=ORDERS",
  mqtt: "mqtt://broker:1883?topic=shop/{{entity.id}}&qos=1",
};

export type Parsed<T> = { ok: true; target: T } | { ok: false; problems: string[] };

/** Parses and checks a broker endpoint's URL; every problem is listed. */
export function parseBrokerTarget(kind: BrokerKind, url: string): Parsed<BrokerTarget> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, problems: [`must be a URL like ${urlExamples[kind]}`] };
  }
  const scheme = schemes[kind][u.protocol];
  if (!scheme) {
    const allowed = Object.keys(schemes[kind]).map((s) => `${s}//`).join(" or ");
    return { ok: false, problems: [`must start with ${allowed} for a ${kind} endpoint`] };
  }
  const problems: string[] = [];
  if (u.username || u.password) problems.push("must not carry user:password; use credentials");
  if (u.hash) problems.push("must not have a #fragment");
  let host = "";
  try {
    // The http parser normalizes hosts (case, IDNA, 0x7f.1 → 127.0.0.1); non-special schemes do not.
    host = new URL(`http://${u.host}/`).hostname.replace(/^\[|\]$/g, "");
  } catch {
    problems.push("has an invalid host");
  }
  if (!u.host) problems.push("needs a host");
  const port = u.port ? Number(u.port) : scheme.port;
  for (const key of new Set(u.searchParams.keys())) {
    if (!params[kind].includes(key)) {
      problems.push(`unknown parameter "${key}" (a ${kind} URL takes ${params[kind].join(", ")})`);
    } else if (u.searchParams.getAll(key).length > 1) {
      problems.push(`parameter "${key}" is given more than once`);
    }
  }
  const q = (k: string) => u.searchParams.get(k);
  const address = { host, port, tls: scheme.tls };
  const path = decodeURIComponent(u.pathname);
  let target: BrokerTarget;
  switch (kind) {
    case "amqp": {
      const segments = u.pathname.split("/").slice(1);
      if (segments.length > 1) problems.push("takes at most one path segment: the vhost");
      // amqp://host/ and amqp://host mean the default vhost "/"; "/%2F" spells it explicitly.
      const vhost = segments[0] ? decodeURIComponent(segments[0]) : "/";
      const routingKey = q("routingKey") ?? "{{type}}";
      problems.push(...templateCheck("routingKey", routingKey));
      if (new TextEncoder().encode(routingKey).length > 255) {
        problems.push("routingKey must be at most 255 bytes");
      }
      target = { kind, ...address, vhost, exchange: q("exchange") ?? "", routingKey };
      break;
    }
    case "nats": {
      if (path !== "" && path !== "/") problems.push("takes no path; use ?subject=");
      const subject = q("subject") ?? "{{type}}";
      problems.push(...templateCheck("subject", subject));
      problems.push(...subjectProblems(stripPlaceholders(subject)));
      const stream = q("stream");
      if (stream !== null && !/^[^\s.*>/\\]{1,255}$/.test(stream)) {
        problems.push("stream must be a JetStream stream name (no spaces, ., *, >)");
      }
      const atMostOnce = flag(q("atMostOnce"), "atMostOnce", problems);
      if (atMostOnce && stream) problems.push("atMostOnce (core NATS) cannot name a stream");
      target = { kind, ...address, subject, stream, atMostOnce };
      break;
    }
    case "mqtt": {
      if (path !== "" && path !== "/") problems.push("takes no path; use ?topic=");
      const topic = q("topic");
      if (!topic) problems.push("needs ?topic=");
      else {
        problems.push(...templateCheck("topic", topic));
        problems.push(...topicProblems(stripPlaceholders(topic)));
      }
      const qosText = q("qos") ?? "1";
      if (!/^[012]$/.test(qosText)) problems.push("qos must be 0, 1 or 2");
      const retain = flag(q("retain"), "retain", problems);
      target = {
        kind,
        ...address,
        topic: topic ?? "",
        qos: Number(qosText) as 0 | 1 | 2,
        retain,
      };
      break;
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, target };
}

/** The http URL whose host the SSRF guard (ssrf.ts) classifies: the broker's, same port. */
export function guardUrl(t: BrokerAddress): string {
  return `http://${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}/`;
}

/** Problems with a rendered NATS subject (publish subjects have no wildcards). */
export function subjectProblems(subject: string): string[] {
  if (!subject) return ["subject must not be empty"];
  if (/\s/.test(subject)) return ["subject must not contain whitespace"];
  const tokens = subject.split(".");
  if (tokens.some((t) => t === "")) return ["subject must not have empty tokens (..)"];
  if (tokens.some((t) => t === "*" || t === ">")) return ["subject must not contain wildcards"];
  return [];
}

/** Problems with a rendered MQTT topic (publish topics have no wildcards). */
export function topicProblems(topic: string): string[] {
  if (!topic) return ["topic must not be empty"];
  if (/[+#]/.test(topic) || topic.includes("\u0000")) return ["topic must not contain +, # or NUL"];
  if (new TextEncoder().encode(topic).length > 65_535) return ["topic is too long"];
  return [];
}

function templateCheck(name: string, template: string): string[] {
  return templateProblems(template).map((p) => `${name}: ${p}`);
}

// Static parts are checked at registration; what placeholders give is checked when rendered.
function stripPlaceholders(template: string): string {
  return template.replace(/\{\{[^}]*\}\}/g, "x");
}

function flag(value: string | null, name: string, problems: string[]): boolean {
  if (value === null || value === "false" || value === "0") return false;
  if (value === "true" || value === "1" || value === "") return true;
  problems.push(`${name} must be true or false`);
  return false;
}
