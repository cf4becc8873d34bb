/**
 * Committed transactions waiting to be handed over, cut into batches of at most `maxEvents`.
 * A batch carries the end LSN of the last transaction it completes: only that may be acknowledged
 * to the slot, so a transaction split across batches is acknowledged after its last part.
 */
import type { LoggedEvent } from "../../functions/_shared/events/envelope.ts";
import type { Lsn } from "./pgoutput.ts";

export interface CommittedTx {
  endLsn: Lsn;
  events: LoggedEvent[];
}

export interface Batch {
  events: LoggedEvent[];
  /** Acknowledge up to here once the batch is handed over; null when it completes no transaction. */
  ackLsn: Lsn | null;
}

export class Batcher {
  #txs: { endLsn: Lsn; events: LoggedEvent[]; taken: number; at: number }[] = [];
  #size = 0;

  constructor(readonly maxEvents: number, readonly maxWaitMs: number) {}

  /** Events waiting (not yet taken). */
  get size(): number {
    return this.#size;
  }

  get empty(): boolean {
    return this.#txs.length === 0;
  }

  add(tx: CommittedTx, now: number) {
    this.#txs.push({ ...tx, taken: 0, at: now });
    this.#size += tx.events.length;
  }

  /** Milliseconds until a batch is due: 0 when full or the oldest waiting transaction has waited enough. */
  dueIn(now: number): number {
    if (this.#txs.length === 0) return Infinity;
    if (this.#size >= this.maxEvents) return 0;
    return Math.max(0, this.#txs[0].at + this.maxWaitMs - now);
  }

  /** Takes the next batch in commit order, or null when nothing waits. */
  take(): Batch | null {
    if (this.#txs.length === 0) return null;
    const events: LoggedEvent[] = [];
    let ackLsn: Lsn | null = null;
    while (this.#txs.length > 0 && events.length < this.maxEvents) {
      const tx = this.#txs[0];
      const part = tx.events.slice(tx.taken, tx.taken + this.maxEvents - events.length);
      events.push(...part);
      tx.taken += part.length;
      if (tx.taken < tx.events.length) break;
      ackLsn = tx.endLsn;
      this.#txs.shift();
    }
    this.#size -= events.length;
    return { events, ackLsn };
  }
}
