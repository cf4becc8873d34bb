/** The event envelope: what the log stores, the API returns and webhooks carry (docs/CONTRACT.md). */
import { z } from "zod";

export const eventTypePattern = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
export { entityTypePattern } from "../validation.ts";

export interface EventEnvelope {
  id: string;
  type: string;
  timestamp: string;
  tenant: string;
  entity: { type: string; id: string };
  version: number;
  recordedAt: string;
  dedupKey: string | null;
  correlationId: string | null;
  causationId: string | null;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** An event as the pipeline sees it: the envelope plus the log's internal sequence number. */
export interface LoggedEvent extends EventEnvelope {
  seq: number;
}

/** The columns that make an envelope; `select ${envelopeColumns(sql)} from switchyard.events e`. */
export const envelopeSelect = `e.seq, e.id, e.type, e.tenant, e.entity_type, e.entity_id, e.version,
  e.occurred_at, e.recorded_at, e.dedup_key, e.correlation_id, e.causation_id, e.data, e.metadata`;

export interface EventRow {
  seq: string | number | bigint;
  id: string;
  type: string;
  tenant: string;
  entity_type: string;
  entity_id: string;
  version: number;
  occurred_at: Date | string;
  recorded_at: Date | string;
  dedup_key: string | null;
  correlation_id: string | null;
  causation_id: string | null;
  data: Record<string, unknown> | string;
  metadata: Record<string, unknown> | string;
}

const iso = (v: Date | string) => (v instanceof Date ? v : new Date(v)).toISOString();
const obj = (
  v: Record<string, unknown> | string,
) => (typeof v === "string" ? JSON.parse(v) : v ?? {});

export function rowToEvent(r: EventRow): LoggedEvent {
  return {
    seq: Number(r.seq),
    id: r.id,
    type: r.type,
    timestamp: iso(r.occurred_at),
    tenant: r.tenant,
    entity: { type: r.entity_type, id: r.entity_id },
    version: r.version,
    recordedAt: iso(r.recorded_at),
    dedupKey: r.dedup_key,
    correlationId: r.correlation_id,
    causationId: r.causation_id,
    data: obj(r.data),
    metadata: obj(r.metadata),
  };
}

/** The public envelope, without internal fields. */
export function toEnvelope(e: LoggedEvent): EventEnvelope {
  const { seq: _seq, ...envelope } = e;
  return envelope;
}

export const eventTypeSchema = z.string().max(200).regex(
  eventTypePattern,
  "must match ^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$",
);

/** What eventTypeSchema accepts, for the fast paths in front of zod. */
export const isEventType = (v: unknown): v is string =>
  typeof v === "string" && v.length <= 200 && eventTypePattern.test(v);
