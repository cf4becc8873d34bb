/** The relay's SQL on its ordinary (non-replication) connection. */
import type postgres from "postgres";
import type { Queryable } from "../../functions/_shared/db.ts";
import { envelopeSelect, type EventRow } from "../../functions/_shared/events/envelope.ts";

/** Session lock that makes one relay active per database; a second relay blocks here, without polling. */
export async function takeRelayLock(
  sql: Queryable,
  slot: string,
  onWait: () => void,
): Promise<void> {
  const [{ got }] = await sql<{ got: boolean }[]>`select pg_try_advisory_lock(hashtextextended(${
    "switchyard.relay/" + slot
  }, 0)) as got`;
  if (got) return;
  onWait();
  await sql`select pg_advisory_lock(hashtextextended(${"switchyard.relay/" + slot}, 0))`;
}

export interface SlotInfo {
  database: string | null;
  walStatus: string | null;
  confirmedFlush: string | null;
  ready: boolean;
}

export async function slotInfo(sql: Queryable, slot: string): Promise<SlotInfo | null> {
  const [row] = await sql<SlotInfo[]>`
    select s.database, s.wal_status as "walStatus", s.confirmed_flush_lsn::text as "confirmedFlush",
      coalesce((select r.slot_ready and r.slot_name = s.slot_name from switchyard.relay_state r where r.id), false) as ready
    from pg_replication_slots s where s.slot_name = ${slot}`;
  return row ?? null;
}

export async function dropSlot(sql: Queryable, slot: string) {
  await sql`select pg_drop_replication_slot(${slot})`;
}

/** Marks the slot unusable until its catch-up finished, so a crash mid-catch-up redoes it. */
export async function markSlot(sql: Queryable, slot: string, ready: boolean) {
  await sql`update switchyard.relay_state set slot_name = ${slot}, slot_ready = ${ready}, relay_started_at = now() where id`;
}

/**
 * Events the new slot will not stream: above the last handed-over seq, plus a window of recently
 * recorded ones, since seq order is not commit order (a smaller seq can commit later).
 */
export function catchUpCursor(tx: postgres.TransactionSql, batchSize: number) {
  return tx.unsafe<EventRow[]>(`
    select ${envelopeSelect} from switchyard.events e, switchyard.relay_state s
    where s.id and (e.seq > s.last_seq or e.recorded_at > s.handed_over_at - interval '5 minutes')
    order by e.seq`).cursor(batchSize);
}
