/** The relay → pipeline hand-over body: `{events: LoggedEvent[]}`, validated at the pipeline's edge. */
import { z } from "zod";
import { eventTypeSchema, isEventType, type LoggedEvent } from "../events/envelope.ts";
import {
  entityTypeSchema,
  identifierSchema,
  INT4_MAX,
  int4Schema,
  isJsonObject,
  parseOrThrow,
  seqSchema,
  SLUG_PATTERN,
  slugSchema,
  validEntity,
} from "../validation.ts";

const isoTimestamp = z.string().datetime({ offset: true });

const loggedEventSchema = z.object({
  seq: seqSchema.min(1),
  id: z.string().min(1).max(200),
  type: eventTypeSchema,
  timestamp: isoTimestamp,
  tenant: slugSchema,
  entity: z.object({ type: entityTypeSchema, id: identifierSchema(200) }),
  version: int4Schema.min(1),
  recordedAt: isoTimestamp,
  dedupKey: z.string().nullable(),
  correlationId: z.string().nullable(),
  causationId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
}) satisfies z.ZodType<LoggedEvent>;

const MAX_HANDOVER_EVENTS = 10_000;

export const handoverBatchSchema = z.object({
  events: z.array(loggedEventSchema).max(MAX_HANDOVER_EVENTS),
});

export type HandoverBatch = z.infer<typeof handoverBatchSchema>;

/** Validates a parsed hand-over body; a 400 listing every problem when it is not one. */
export function parseHandover(body: unknown): HandoverBatch {
  return fastHandover(body) ?? parseOrThrow(handoverBatchSchema, body, "hand-over batch");
}

const isNullableString = (v: unknown) => v === null || typeof v === "string";
/** The keys of a handed-over event, every one of them required. */
export const HANDOVER_EVENT_KEYS = Object.keys(loggedEventSchema.shape);
const eventKeys = new Set<string>(HANDOVER_EVENT_KEYS);

/**
 * The relay's batches without zod (it cost 4.5 µs an event, a tenth of the functions' CPU during
 * ingest): the rules of `loggedEventSchema`, narrower where that is simpler (every key present, none
 * other), answering null on anything else so that zod decides and words the errors. A batch's
 * events share a few timestamps, so each distinct one is checked once.
 */
function fastHandover(body: unknown): HandoverBatch | null {
  if (!isJsonObject(body)) return null;
  const events = body.events;
  if (!Array.isArray(events) || events.length > MAX_HANDOVER_EVENTS) return null;
  for (const k in body) if (k !== "events") return null;
  const instants = new Set<string>();
  const instant = (v: unknown): boolean => {
    if (typeof v !== "string") return false;
    if (instants.has(v)) return true;
    if (!isoTimestamp.safeParse(v).success) return false;
    instants.add(v);
    return true;
  };
  for (const e of events) {
    if (!isJsonObject(e)) return null;
    let n = 0;
    for (const k in e) {
      if (!eventKeys.has(k)) return null;
      n++;
    }
    if (n !== eventKeys.size) return null;
    const { seq, id, type, tenant, entity, version } = e;
    if (!Number.isSafeInteger(seq) || (seq as number) < 1) return null;
    if (typeof id !== "string" || id.length < 1 || id.length > 200) return null;
    if (!isEventType(type)) return null;
    if (typeof tenant !== "string" || !SLUG_PATTERN.test(tenant)) return null;
    if (!validEntity(entity)) return null;
    if (!Number.isInteger(version) || (version as number) < 1 || (version as number) > INT4_MAX) {
      return null;
    }
    if (!instant(e.timestamp) || !instant(e.recordedAt)) return null;
    if (
      !isNullableString(e.dedupKey) || !isNullableString(e.correlationId) ||
      !isNullableString(e.causationId) || !isJsonObject(e.data) || !isJsonObject(e.metadata)
    ) return null;
  }
  return body as unknown as HandoverBatch;
}
