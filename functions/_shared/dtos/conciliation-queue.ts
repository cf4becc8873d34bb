/** The conciliations table: one row per DTO key that failed, holding its deferred retry schedule. */
import type { Queryable } from "../db.ts";
import type { KeyRef } from "./types.ts";
import type { FailureReason } from "./types.ts";

/** Woken on every newly deferred retry, so the scheduler sleeps until the next one is due. */
export const CONCILIATIONS_CHANNEL = "switchyard_dto_conciliations";

export type ConciliationStatus = "pending" | "resolved" | "exhausted";

export interface Conciliation {
  tenant: string;
  type: string;
  key: string;
  status: ConciliationStatus;
  reason: FailureReason;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  failedEventId: string | null;
  createdAt: string;
  updatedAt: string;
}

const cols = (sql: Queryable) =>
  sql`tenant, dto_type as "type", key, status, reason, attempts,
  to_char(next_attempt_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "nextAttemptAt",
  last_error as "lastError", failed_event_id as "failedEventId",
  to_char(created_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt",
  to_char(updated_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "updatedAt"`;

export interface Opening extends KeyRef {
  reason: FailureReason;
  error: string;
  failedEventId: string | null;
  nextAttemptAt: Date;
}

/** Puts keys (back) into pending with fresh attempts; one statement for the batch. */
export async function openConciliations(sql: Queryable, rows: Opening[]): Promise<void> {
  if (rows.length === 0) return;
  const input = rows.map((r) => ({
    tenant: r.tenant,
    dto_type: r.type,
    key: r.key,
    reason: r.reason,
    last_error: r.error.slice(0, 1000),
    failed_event_id: r.failedEventId,
    next_attempt_at: r.nextAttemptAt.toISOString(),
  }));
  await sql`
    insert into switchyard.dto_conciliations as c (tenant, dto_type, key, reason, last_error, failed_event_id, next_attempt_at)
    select distinct on (r.tenant, r.dto_type, r.key) r.tenant, r.dto_type, r.key, r.reason, r.last_error, r.failed_event_id, r.next_attempt_at
    from jsonb_to_recordset(${
    JSON.stringify(input)
  }::text::jsonb) as r(tenant text, dto_type text, key text, reason text,
      last_error text, failed_event_id text, next_attempt_at timestamptz)
    order by r.tenant, r.dto_type, r.key
    on conflict (tenant, dto_type, key) do update set status = 'pending', reason = excluded.reason, attempts = 0,
      last_error = excluded.last_error, failed_event_id = excluded.failed_event_id,
      next_attempt_at = excluded.next_attempt_at, updated_at = now()`;
}

/**
 * Marks keys repaired (pending or exhausted); answers, per key that had an open row, its attempts
 * (including `tries` of this success) and the `dto.failed` event it answers.
 */
export async function resolveConciliations(
  sql: Queryable,
  tenant: string,
  type: string,
  keys: string[],
  tries: number,
): Promise<Map<string, { attempts: number; failedEventId: string | null }>> {
  if (keys.length === 0) return new Map();
  const rows = await sql<{ key: string; attempts: number; failed_event_id: string | null }[]>`
    update switchyard.dto_conciliations set status = 'resolved', attempts = attempts + ${tries}, next_attempt_at = null, updated_at = now()
    where tenant = ${tenant} and dto_type = ${type} and key = any(${keys}) and status <> 'resolved'
    returning key, attempts, failed_event_id`;
  return new Map(
    rows.map((r) => [r.key, { attempts: r.attempts, failedEventId: r.failed_event_id }]),
  );
}

/** Counts `tries` failed tries; `nextAttemptAt` null means exhausted. Answers the row as it now is. */
export async function recordFailedAttempt(
  sql: Queryable,
  ref: KeyRef,
  error: string,
  tries: number,
  nextAttemptAt: (attempts: number) => Date | null,
) {
  const [current] = await sql<{ attempts: number }[]>`
    select attempts from switchyard.dto_conciliations
    where tenant = ${ref.tenant} and dto_type = ${ref.type} and key = ${ref.key} and status = 'pending'`;
  if (!current) return null;
  const attempts = current.attempts + tries;
  const next = nextAttemptAt(attempts);
  const [row] = await sql<
    { attempts: number; status: ConciliationStatus; failed_event_id: string | null }[]
  >`
    update switchyard.dto_conciliations
    set attempts = ${attempts}, last_error = ${error.slice(0, 1000)}, updated_at = now(),
      status = ${next ? "pending" : "exhausted"}, next_attempt_at = ${next}
    where tenant = ${ref.tenant} and dto_type = ${ref.type} and key = ${ref.key} and status = 'pending'
    returning attempts, status, failed_event_id`;
  if (next) await sql`select pg_notify(${CONCILIATIONS_CHANNEL}, '')`;
  return row
    ? { attempts: row.attempts, status: row.status, failedEventId: row.failed_event_id }
    : null;
}

/** Claims due rows for `leaseMs` (other schedulers skip them), oldest first. */
export async function claimDue(
  sql: Queryable,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<KeyRef[]> {
  const rows = await sql<{ tenant: string; dto_type: string; key: string }[]>`
    update switchyard.dto_conciliations c set next_attempt_at = ${new Date(now.getTime() + leaseMs)}
    from (
      select tenant, dto_type, key from switchyard.dto_conciliations
      where status = 'pending' and next_attempt_at <= ${now}
      order by next_attempt_at limit ${limit} for update skip locked
    ) due
    where c.tenant = due.tenant and c.dto_type = due.dto_type and c.key = due.key
    returning c.tenant, c.dto_type, c.key`;
  return rows.map((r) => ({ tenant: r.tenant, type: r.dto_type, key: r.key }));
}

export async function nextDueAt(sql: Queryable): Promise<Date | null> {
  const [row] = await sql<{ at: Date | null }[]>`
    select min(next_attempt_at) as at from switchyard.dto_conciliations where status = 'pending'`;
  return row.at;
}

export function listConciliations(
  sql: Queryable,
  opts: { tenant?: string; status?: ConciliationStatus; limit: number },
): Promise<Conciliation[]> {
  return sql<Conciliation[]>`
    select ${cols(sql)} from switchyard.dto_conciliations
    where (${opts.tenant ?? null}::text is null or tenant = ${opts.tenant ?? null})
      and (${opts.status ?? null}::text is null or status = ${opts.status ?? null})
    order by updated_at desc, tenant, dto_type, key limit ${opts.limit}`;
}
