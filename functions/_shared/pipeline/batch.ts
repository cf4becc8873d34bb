/** The relay → pipeline hand-over body: `{events: LoggedEvent[]}`, validated at the pipeline's edge. */
import { z } from "zod";
import { eventTypeSchema, type LoggedEvent } from "../events/envelope.ts";
import {
  entityTypeSchema,
  identifierSchema,
  int4Schema,
  seqSchema,
  slugSchema,
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

export const handoverBatchSchema = z.object({
  events: z.array(loggedEventSchema).max(10_000),
});

export type HandoverBatch = z.infer<typeof handoverBatchSchema>;
