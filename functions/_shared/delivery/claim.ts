/** The worker's three statements: claim due deliveries, record a batch of outcomes, find the next due time. */
import type { Sql } from "../db.ts";
import type { EndpointRow } from "./endpoint-schema.ts";
import type { EventRow } from "../events/envelope.ts";

export interface Claimed {
  id: string;
  tenant: string;
  endpoint_id: string;
  event_id: string;
  /** Tries made before this claim. */
  tries: number;
  replay: boolean;
  endpoint: EndpointRow;
  event: EventRow;
}

/** Claims up to `limit` due deliveries (FOR UPDATE SKIP LOCKED, see switchyard.claim_deliveries). */
export function claimDeliveries(
  sql: Sql,
  opts: { limit: number; lease: string; paused: string[]; leaseMarginMs: number },
): Promise<Claimed[]> {
  return sql<Claimed[]>`
    select * from switchyard.claim_deliveries(${opts.limit}, ${opts.lease}, ${opts.paused}::text[], ${opts.leaseMarginMs})`;
}

export type OutcomeKind = "delivered" | "retry" | "dead" | "release";

export interface Outcome {
  id: string;
  lease: string;
  kind: OutcomeKind;
  delay_ms?: number;
  ok?: boolean;
  status?: number | null;
  latency_ms?: number;
  error?: string | null;
  excerpt?: string | null;
}

export interface Recorded {
  kind: "dead" | "disabled";
  id: string | null;
  tenant: string;
  endpoint_id: string;
  event_id: string | null;
  dead_letter_id: string | null;
  tries: number | null;
  reason: string | null;
}

export function recordOutcomes(
  sql: Sql,
  outcomes: Outcome[],
  opts: { maxStreak: number; maxFailingMs: number },
): Promise<Recorded[]> {
  return sql<Recorded[]>`
    select * from switchyard.record_delivery_outcomes(${
    sql.json(outcomes as never)
  }::jsonb, ${opts.maxStreak},
      make_interval(secs => ${opts.maxFailingMs / 1000}))`;
}

/** Milliseconds until the earliest delivery this worker could claim (0 when one is due), or null when none waits. */
export async function nextDueInMs(sql: Sql, paused: string[]): Promise<number | null> {
  // No greatest(0, …) in SQL: it ignores a NULL argument, so "nothing due" would read as "due now".
  const [row] = await sql<{ ms: number | null }[]>`
    select (extract(epoch from (switchyard.next_delivery_due(${paused}::text[]) - clock_timestamp())) * 1000)::float8 as ms`;
  return row.ms === null ? null : Math.max(0, Math.ceil(row.ms));
}
