/** An endpoint at the edge (the admin API's input, validated once) and in its two inner shapes. */
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { type DeliveryEndpoint, type EndpointKind, endpointKinds } from "./connector.ts";
import { credentialsSchema, decryptCredentials, headersSchema } from "./credentials.ts";
import { open } from "../sealing.ts";
import { filterSchema } from "./filters.ts";
import { patternSchema } from "../events/patterns.ts";
import { type Transform, transformSchema } from "./transform.ts";
import { defaultRetrySchedule } from "./backoff.ts";
import { identifierSchema, labelSchema, slugSchema } from "../validation.ts";
import { isBrokerKind, parseBrokerTarget } from "./connectors/broker-target.ts";

/** The one tenant slug schema, under the name this module's users know it by. */
export { slugSchema as tenantSlugSchema } from "../validation.ts";

/** Headers the signing and transport set themselves; an endpoint may not override them. */
const reservedHeaders =
  /^(webhook-id|webhook-timestamp|webhook-signature|content-length|host|transfer-encoding|connection)$/i;

export const endpointInputSchema = z.object({
  tenant: slugSchema,
  kind: z.enum(endpointKinds).default("webhook"),
  name: labelSchema(200).optional(),
  // http(s) for the HTTP kinds, the broker's scheme for amqp, nats and mqtt (checked below).
  url: z.string().max(2000).optional(),
  events: z.array(patternSchema).min(1, "at least one pattern").max(100),
  filter: filterSchema.optional(),
  transform: transformSchema.optional(),
  headers: headersSchema.refine(
    (h) => !Object.keys(h).some((k) => reservedHeaders.test(k)),
    "must not set webhook-*, host or length headers",
  ).optional(),
  credentials: credentialsSchema.optional(),
  timeoutMs: z.number().int().min(100).max(60_000).optional(),
  retrySchedule: z.array(z.number().int().min(0).max(86_400_000)).max(20).optional(),
  ordered: z.boolean().optional(),
  rateLimitPerSecond: z.number().int().min(1).max(100_000).optional(),
  /** Sends in flight at once to this endpoint; default DELIVERY_MAX_IN_FLIGHT (32). */
  maxInFlight: z.number().int().min(1).max(1000).optional(),
  chats: z.array(identifierSchema(100)).max(100).optional(),
}).strict().superRefine((e, ctx) => {
  if (e.kind !== "telegram" && !e.url) {
    ctx.addIssue({
      code: "custom",
      path: ["url"],
      message: `is required for a ${e.kind} endpoint`,
    });
  }
  if (e.url && isBrokerKind(e.kind)) {
    const parsed = parseBrokerTarget(e.kind, e.url);
    for (const message of parsed.ok ? [] : parsed.problems) {
      ctx.addIssue({ code: "custom", path: ["url"], message });
    }
    const creds = e.credentials?.type;
    if (creds === "header" || (creds === "bearer" && e.kind !== "nats")) {
      ctx.addIssue({
        code: "custom",
        path: ["credentials", "type"],
        message: `a ${e.kind} endpoint takes basic credentials${
          e.kind === "nats" ? " or a bearer token" : ""
        }`,
      });
    }
  } else if (e.url && !(/^https?:\/\//i.test(e.url) && URL.canParse(e.url))) {
    ctx.addIssue({ code: "custom", path: ["url"], message: "must be an http:// or https:// URL" });
  }
  if (e.kind === "soap" && !e.transform?.envelope) {
    ctx.addIssue({
      code: "custom",
      path: ["transform", "envelope"],
      message: "is required for a soap endpoint",
    });
  }
  if (e.kind === "graphql" && !e.transform?.query) {
    ctx.addIssue({
      code: "custom",
      path: ["transform", "query"],
      message: "is required for a graphql endpoint",
    });
  }
});
export type EndpointInput = z.infer<typeof endpointInputSchema>;

const field = endpointInputSchema.shape;
/** An edit (PATCH): any field but tenant and kind; `null` clears an optional one. At least one field. */
export const endpointUpdateSchema = z.object({
  name: field.name.unwrap().nullable().optional(),
  url: field.url,
  events: field.events.optional(),
  filter: field.filter.unwrap().nullable().optional(),
  transform: field.transform.unwrap().nullable().optional(),
  headers: field.headers,
  credentials: field.credentials.unwrap().nullable().optional(),
  timeoutMs: field.timeoutMs,
  retrySchedule: field.retrySchedule,
  ordered: field.ordered,
  rateLimitPerSecond: field.rateLimitPerSecond.unwrap().nullable().optional(),
  maxInFlight: field.maxInFlight.unwrap().nullable().optional(),
  chats: field.chats,
}).strict().refine((u) => Object.keys(u).length > 0, {
  message: "give at least one field to change",
  path: [],
});
export type EndpointUpdate = z.infer<typeof endpointUpdateSchema>;

/** The row as stored (snake_case, as postgres.js returns it or `to_jsonb` builds it). */
export interface EndpointRow {
  id: string;
  tenant: string;
  kind: EndpointKind;
  name: string | null;
  url: string | null;
  secret: string;
  previous_secret: string | null;
  previous_valid_until: Date | string | null;
  headers: Record<string, string>;
  credentials: string | null;
  credentials_type?: string | null;
  transform: Transform | null;
  filter?: Record<string, unknown> | null;
  chats: string[];
  timeout_ms: number;
  retry_schedule: number[];
  ordered?: boolean;
  rate_limit_per_second: number | null;
  max_in_flight?: number | null;
  enabled?: boolean;
  disabled_reason?: string | null;
  disabled_at?: Date | string | null;
  failure_streak?: number;
  created_at?: Date | string;
  updated_at?: Date | string;
  events?: string[];
}

const iso = (v: Date | string | null | undefined) => (v ? new Date(v).toISOString() : null);

/** The public JSON: no secret, no credentials (only which kind of credentials is set). */
export function endpointJson(r: EndpointRow) {
  return {
    id: r.id,
    tenant: r.tenant,
    name: r.name,
    kind: r.kind,
    url: r.url,
    events: r.events ?? [],
    filter: r.filter ?? null,
    transform: r.transform ?? null,
    headers: r.headers ?? {},
    credentialsType: r.credentials_type ?? null,
    timeoutMs: r.timeout_ms,
    retrySchedule: r.retry_schedule ?? defaultRetrySchedule,
    ordered: r.ordered ?? false,
    rateLimitPerSecond: r.rate_limit_per_second,
    /** null: the deployment's default (DELIVERY_MAX_IN_FLIGHT). */
    maxInFlight: r.max_in_flight ?? null,
    chats: r.chats ?? [],
    enabled: r.enabled ?? true,
    disabledReason: r.disabled_reason ?? null,
    disabledAt: iso(r.disabled_at),
    failureStreak: r.failure_streak ?? 0,
    previousSecretValidUntil:
      r.previous_secret && r.previous_valid_until && new Date(r.previous_valid_until) > new Date()
        ? iso(r.previous_valid_until)
        : null,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}
export type EndpointJson = ReturnType<typeof endpointJson>;

/** What a connector gets: secrets in force and credentials opened. */
export async function toDeliveryEndpoint(
  ctx: AppContext,
  r: EndpointRow,
): Promise<DeliveryEndpoint> {
  const overlapping = r.previous_secret &&
    (!r.previous_valid_until || new Date(r.previous_valid_until).getTime() > ctx.clock.now());
  return {
    id: r.id,
    tenant: r.tenant,
    kind: r.kind,
    name: r.name,
    url: r.url,
    secrets: await Promise.all((overlapping ? [r.secret, r.previous_secret!] : [r.secret])
      .map((sealed) => open(ctx.config.SWITCHYARD_ENCRYPTION_KEY, r.id, sealed))),
    headers: r.headers ?? {},
    credentials: r.credentials
      ? await decryptCredentials(ctx.config.SWITCHYARD_ENCRYPTION_KEY, r.id, r.credentials)
      : null,
    transform: r.transform ?? null,
    timeoutMs: r.timeout_ms,
    chats: r.chats ?? [],
  };
}
