/** The relay → pipeline hand-over body: `{events: LoggedEvent[]}`, validated at the pipeline's edge. */
import { z } from "zod";
import { entityTypePattern, eventTypeSchema, type LoggedEvent } from "../events/envelope.ts";

const isoTimestamp = z.string().datetime({ offset: true });

export const loggedEventSchema = z.object({
  seq: z.number().int().positive(),
  id: z.string().min(1).max(200),
  type: eventTypeSchema,
  timestamp: isoTimestamp,
  tenant: z.string().min(1).max(63),
  entity: z.object({ type: z.string().regex(entityTypePattern), id: z.string().min(1).max(200) }),
  version: z.number().int().positive(),
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
