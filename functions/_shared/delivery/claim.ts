/**
 * The worker's statements: claim due deliveries, record a batch of outcomes, count the tries due
 * while breakers are open, find the next due time.
 */
import type { Queryable, Sql } from "../db.ts";
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
  /** This try is the half-open breaker's one probe. */
  probe: boolean;
  endpoint: EndpointRow;
  event: EventRow;
}

/**
 * Claims up to `limit` due deliveries within each endpoint's in-flight limit (see
 * switchyard.claim_deliveries). `settled`: per endpoint, how many of this worker's claimed rows
 * are sent (or handed back) and wait only to be recorded; they count no more against the limit.
 */
export function claimDeliveries(
  sql: Sql,
  opts: {
    limit: number;
    lease: string;
    defaultInFlight: number;
    leaseMarginMs: number;
    settled?: ReadonlyMap<string, number>;
  },
): Promise<Claimed[]> {
  const settled = sql.json(Object.fromEntries(opts.settled ?? []));
  return sql<Claimed[]>`
    select * from switchyard.claim_deliveries(${opts.limit}, ${opts.lease}, ${opts.defaultInFlight}, ${opts.leaseMarginMs}, ${settled}::jsonb)`;
}

export type OutcomeKind = "delivered" | "retry" | "dead" | "release";

export interface Outcome {
  id: string;
  lease: string;
  kind: OutcomeKind;
  probe?: boolean;
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

export interface Judgement {
  /** Sent failures running that open the breaker, and how long it stays open before a probe. */
  breakerFailures: number;
  breakerOpenMs: number;
  /** Failed rounds running (the breaker opened, its probes failed), or failing time, that disable the endpoint. */
  maxFailedRounds: number;
  maxFailingMs: number;
}

export function recordOutcomes(
  sql: Queryable,
  outcomes: Outcome[],
  j: Judgement,
): Promise<Recorded[]> {
  return sql<Recorded[]>`
    select * from switchyard.record_delivery_outcomes(${sql.json(outcomes as never)}::jsonb,
      ${j.breakerFailures}, make_interval(secs => ${j.breakerOpenMs / 1000}),
      ${j.maxFailedRounds}, make_interval(secs => ${j.maxFailingMs / 1000}))`;
}

export interface UnsentTry {
  id: string;
  tenant: string;
  endpoint_id: string;
  event_id: string;
  entity_type: string;
  entity_id: string;
  /** Tries made, this one included. */
  tries: number;
  /** Set when this try was the schedule's last: the delivery is dead-lettered. */
  dead_letter_id: string | null;
  /** The delivery's event, for the dead ones. */
  event: EventRow | null;
}

/** Counts one try of up to `limit` deliveries due at open breakers (see switchyard.count_unsent_tries). */
export function countUnsentTries(
  sql: Queryable,
  limit: number,
  error: string,
): Promise<UnsentTry[]> {
  return sql<UnsentTry[]>`select * from switchyard.count_unsent_tries(${limit}, ${error})`;
}

/**
 * Milliseconds until something can be claimed (0: now), or null when nothing waits (see
 * switchyard.next_delivery_due); a first attempt nobody claimed counts `firstTryGraceMs` late.
 */
export async function nextDueInMs(
  sql: Sql,
  defaultInFlight: number,
  firstTryGraceMs = 0,
): Promise<number | null> {
  // No greatest(0, …) in SQL: it ignores a NULL argument, so "nothing due" would read as "due now".
  const [row] = await sql<{ ms: number | null }[]>`
    select (extract(epoch from (switchyard.next_delivery_due(${defaultInFlight},
      make_interval(secs => ${
    firstTryGraceMs / 1000
  })) - clock_timestamp())) * 1000)::float8 as ms`;
  return row.ms === null ? null : Math.max(0, Math.ceil(row.ms));
}

/** Wakes whoever schedules deliveries (the scheduler LISTENs): a due time may have moved earlier. */
export const DELIVERIES_CHANNEL = "switchyard_deliveries";
