/**
 * Committed transactions waiting to be handed over, cut into batches of at most `maxEvents`.
 * The policy: hand over at once when nothing is in flight (after `lingerMs`, 0 by default), and
 * accumulate while a hand-over is in flight, so latency is one round trip when quiet and batches
 * fill by themselves under load. A batch carries the end LSN of the last transaction it completes: only that may be acknowledged
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
  #txs: { endLsn: Lsn; events: LoggedEvent[]; taken: number; at: number; eager: boolean }[] = [];
  #size = 0;
  /** Set by the consumer while a hand-over is out: nothing is due, arrivals join the next batch. */
  inFlight = false;

  /** `lingerMs`: how long an idle relay waits for more transactions before handing over. */
  constructor(readonly maxEvents: number, readonly lingerMs = 0) {}

  /** Events waiting (not yet taken). */
  get size(): number {
    return this.#size;
  }

  get empty(): boolean {
    return this.#txs.length === 0;
  }

  add(tx: CommittedTx, now: number) {
    // What waited out a hand-over has waited long enough: it goes the moment that one settles.
    this.#txs.push({ ...tx, taken: 0, at: now, eager: this.inFlight });
    this.#size += tx.events.length;
  }

  /**
   * Milliseconds until a batch is due. Infinity when nothing waits or a hand-over is in flight
   * (one at a time keeps commit order); else 0 when full, when the oldest transaction is half
   * taken or arrived during a hand-over, or when it has lingered `lingerMs`.
   */
  dueIn(now: number): number {
    if (this.#txs.length === 0 || this.inFlight) return Infinity;
    const oldest = this.#txs[0];
    if (this.#size >= this.maxEvents || oldest.taken > 0 || oldest.eager) return 0;
    return Math.max(0, oldest.at + this.lingerMs - now);
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
