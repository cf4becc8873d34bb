/**
 * Stuck states ("it stalled silently"): the relay connected but not advancing while events wait,
 * and deliveries due while nothing claims them. Health and the alert events share these rules.
 */
import type { Sql } from "../db.ts";

export interface ProgressFigures {
  relay_idle_ms: number | null;
  relay_oldest_waiting_ms: number | null;
  deliveries_oldest_due_ms: number | null;
  deliveries_last_attempt_ms: number | null;
}

export interface Stalls {
  /** Events have waited longer than the threshold and the relay handed nothing over meanwhile. */
  relay: { stalled: boolean; sinceProgressMs: number | null; oldestWaitingMs: number | null };
  /** Deliveries have been due longer than the threshold and no attempt was made meanwhile. */
  deliveries: { stalled: boolean; oldestDueMs: number | null; lastAttemptMs: number | null };
}

export async function progressFigures(sql: Sql): Promise<ProgressFigures> {
  const [row] = await sql<{ p: ProgressFigures }[]>`select switchyard.health_progress() as p`;
  return row.p;
}

const over = (v: number | null, limit: number) => v !== null && v > limit;

/** Pure: `relayConnected` is whether the relay's slot is active (a stopped relay is lag, not a stall). */
export function stalls(p: ProgressFigures, relayConnected: boolean, stallMs: number): Stalls {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const idle = num(p.relay_idle_ms);
  const waiting = num(p.relay_oldest_waiting_ms);
  const due = num(p.deliveries_oldest_due_ms);
  const attempt = num(p.deliveries_last_attempt_ms);
  return {
    relay: {
      stalled: relayConnected && over(waiting, stallMs) && (idle === null || idle > stallMs),
      sinceProgressMs: idle,
      oldestWaitingMs: waiting,
    },
    deliveries: {
      stalled: over(due, stallMs) && (attempt === null || attempt > stallMs),
      oldestDueMs: due,
      lastAttemptMs: attempt,
    },
  };
}
