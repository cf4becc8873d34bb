/**
 * Turns the walsender's messages into hand-overs: collects each transaction's inserts into
 * switchyard.events, batches committed transactions (size or wait, whichever first), hands one batch
 * over at a time in commit order, and acknowledges a transaction's end LSN only after every event of
 * it was accepted. So a crash replays from the last accepted transaction, never skips one.
 */
import {
  type EventRow,
  type LoggedEvent,
  rowToEvent,
} from "../../functions/_shared/events/envelope.ts";
import { Batcher } from "./batcher.ts";
import { decodeCopyData, type Lsn, type Relation, standbyStatus } from "./pgoutput.ts";

export interface ConsumerIo {
  /** Sends a standby status update to the walsender. */
  write(message: Uint8Array): void;
  pause(): void;
  resume(): void;
  /** Resolves true when the pipeline accepted the events, false when the session ended first. */
  handOver(events: LoggedEvent[]): Promise<boolean>;
  now(): number;
  onError(err: Error): void;
}

/** A decoded events row (all columns as text) as the pipeline's LoggedEvent. */
function replicatedRowToEvent(row: Record<string, string | null>): LoggedEvent {
  return rowToEvent({ ...row, version: Number(row.version) } as unknown as EventRow);
}

export class StreamConsumer {
  readonly #relations = new Map<number, Relation>();
  readonly #batcher: Batcher;
  #open: LoggedEvent[] | null = null;
  #acked: Lsn;
  #paused = false;
  #stopped = false;
  #queued = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly io: ConsumerIo,
    startLsn: Lsn,
    batchSize: number,
    lingerMs: number,
  ) {
    this.#acked = startLsn;
    this.#batcher = new Batcher(batchSize, lingerMs);
  }

  get ackedLsn(): Lsn {
    return this.#acked;
  }

  onData(buf: Uint8Array) {
    try {
      const m = decodeCopyData(buf, this.#relations);
      if (m.kind === "begin") this.#open = [];
      else if (m.kind === "insert") {
        if (m.relation.schema === "switchyard" && m.relation.table === "events") {
          this.#open?.push(replicatedRowToEvent(m.row));
        }
      } else if (m.kind === "commit") {
        this.#batcher.add({ endLsn: m.endLsn, events: this.#open ?? [] }, this.io.now());
        this.#open = null;
        if (!this.#paused && this.#batcher.size > this.#batcher.maxEvents * 20) {
          this.#paused = true;
          this.io.pause();
        }
        this.#schedule();
      } else if (m.kind === "keepalive") {
        // Nothing received is unacknowledged: WAL up to walEnd holds nothing for us, so let the slot move on.
        const idle = this.#open === null && this.#batcher.empty && !this.#batcher.inFlight;
        if (idle && m.walEnd > this.#acked) {
          this.#acked = m.walEnd;
          this.#sendStatus();
        } else if (m.replyRequested) this.#sendStatus();
      }
    } catch (err) {
      this.io.onError(err as Error);
    }
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #sendStatus() {
    try {
      this.io.write(standbyStatus(this.#acked, Date.now()));
    } catch (err) {
      this.io.onError(err as Error);
    }
  }

  #schedule() {
    if (this.#batcher.inFlight || this.#stopped || this.#queued) return;
    clearTimeout(this.#timer);
    const due = this.#batcher.dueIn(this.io.now());
    if (due === 0) {
      // A microtask, so the commits of one socket read (already being decoded) share the batch.
      this.#queued = true;
      queueMicrotask(() => {
        this.#queued = false;
        void this.#pump();
      });
    } else if (due !== Infinity) this.#timer = setTimeout(() => this.#schedule(), due);
  }

  async #pump() {
    if (this.#batcher.inFlight || this.#stopped) return;
    try {
      while (!this.#stopped && this.#batcher.dueIn(this.io.now()) === 0) {
        const batch = this.#batcher.take()!;
        this.#batcher.inFlight = batch.events.length > 0;
        if (batch.events.length > 0 && !(await this.io.handOver(batch.events))) return;
        this.#batcher.inFlight = false;
        if (batch.ackLsn !== null && batch.ackLsn > this.#acked) {
          this.#acked = batch.ackLsn;
          this.#sendStatus();
        }
        if (this.#paused && this.#batcher.size < this.#batcher.maxEvents * 4) {
          this.#paused = false;
          this.io.resume();
        }
      }
    } catch (err) {
      this.io.onError(err as Error);
      return;
    } finally {
      this.#batcher.inFlight = false;
    }
    this.#schedule();
  }
}
