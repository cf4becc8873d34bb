/** Endpoint shapes as the admin API answers them, and how they read in a table. */
import type { Column } from "./table.ts";
import { UsageError } from "./errors.ts";

export const KINDS = [
  "webhook",
  "rest",
  "soap",
  "graphql",
  "telegram",
  "amqp",
  "nats",
  "mqtt",
] as const;

export interface Endpoint {
  id: string;
  tenant: string;
  kind: (typeof KINDS)[number];
  name?: string | null;
  url?: string | null;
  events?: string[];
  status?: string;
  enabled?: boolean;
  disabledReason?: string | null;
  [key: string]: unknown;
}

export function endpointStatus(e: Endpoint): string {
  const status = e.status ?? (e.enabled === false ? "disabled" : "enabled");
  return e.disabledReason ? `${status} (${e.disabledReason})` : status;
}

export const endpointColumns: Column<Endpoint>[] = [
  { header: "id", get: (e) => e.id },
  { header: "tenant", get: (e) => e.tenant },
  { header: "kind", get: (e) => e.kind },
  { header: "name", get: (e) => e.name },
  { header: "url", get: (e) => e.url },
  { header: "events", get: (e) => e.events },
  { header: "status", get: endpointStatus },
];

/** Everything but the secret: it is shown once, by `endpoints add` and `rotate-secret`. */
export function withoutSecret(e: Endpoint): Record<string, unknown> {
  const { secret: _secret, secrets: _secrets, ...rest } = e;
  return rest;
}

/** `--header name=value` pairs, names lower-cased. */
export function parseHeaders(pairs: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)=(.*)$/.exec(pair);
    if (!m) throw new UsageError(`--header "${pair}" is not name=value`);
    headers[m[1].toLowerCase()] = m[2];
  }
  return headers;
}

/** The flags `endpoints add` and `endpoints update` share. */
export interface EndpointFlags {
  url?: string;
  events?: string[];
  filter?: Record<string, unknown>;
  transform?: Record<string, unknown>;
  header?: string[];
  credentials?: Record<string, unknown>;
  timeout?: number;
  "retry-schedule"?: number[];
  ordered?: boolean;
  "rate-limit"?: number;
  chat?: string[];
  name?: string;
}

/** Those flags as the admin API's endpoint fields; a flag not given is left out. */
export function endpointFields(flags: EndpointFlags): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    url: flags.url,
    events: flags.events,
    filter: flags.filter,
    transform: flags.transform,
    headers: flags.header ? parseHeaders(flags.header) : undefined,
    credentials: flags.credentials,
    timeoutMs: flags.timeout,
    retrySchedule: flags["retry-schedule"],
    ordered: flags.ordered,
    rateLimitPerSecond: flags["rate-limit"],
    chats: flags.chat,
    name: flags.name,
  };
  for (const [k, v] of Object.entries(fields)) if (v === undefined) delete fields[k];
  return fields;
}
