/**
 * Flood control for the Bot API, as a pure planner: each send asks for its earliest slot and
 * gets it reserved, so concurrent sends queue instead of being dropped. Telegram allows about one
 * message per second per chat and about 30 per second per bot.
 */
export interface FloodLimits {
  /** Minimum spacing between two messages to one chat. */
  perChatMs: number;
  /** Messages per second for the whole bot. */
  perBotPerSecond: number;
}

export const defaultFloodLimits: FloodLimits = { perChatMs: 1_000, perBotPerSecond: 30 };

export class FloodPlanner {
  readonly #limits: FloodLimits;
  readonly #botGapMs: number;
  /** Earliest time the next message to each chat may leave. */
  readonly #chatNext = new Map<string, number>();
  /** Reserved bot-wide send times, ascending; kept only while they can still conflict. */
  #botSlots: number[] = [];

  constructor(limits: Partial<FloodLimits> = {}) {
    this.#limits = { ...defaultFloodLimits, ...limits };
    // Any two sends at least this far apart keep every 1 s window at or under the bot limit.
    this.#botGapMs = Math.ceil(1_000 / this.#limits.perBotPerSecond);
  }

  /** The earliest time (≥ now) a message to `chat` could leave, without reserving it. */
  earliest(chat: string, now: number): number {
    this.#prune(now);
    return this.#botSlot(Math.max(now, this.#chatNext.get(chat) ?? now));
  }

  /** Reserves and returns the earliest time (≥ now) a message to `chat` may leave. */
  reserve(chat: string, now: number): number {
    const at = this.earliest(chat, now);
    this.#chatNext.set(chat, at + this.#limits.perChatMs);
    const i = this.#botSlots.findIndex((t) => t > at);
    this.#botSlots.splice(i === -1 ? this.#botSlots.length : i, 0, at);
    return at;
  }

  /** Telegram said to wait (429 retry_after): no message to `chat` before `until`. */
  holdChat(chat: string, until: number): void {
    this.#chatNext.set(chat, Math.max(this.#chatNext.get(chat) ?? 0, until));
  }

  /** How many chats have a pending slot; for tests and metrics. */
  get chatsTracked(): number {
    return this.#chatNext.size;
  }

  /** The first time ≥ `from` that is at least one bot gap away from every reserved slot. */
  #botSlot(from: number): number {
    let at = from;
    for (const t of this.#botSlots) {
      if (t <= at - this.#botGapMs) continue;
      if (t >= at + this.#botGapMs) break;
      at = t + this.#botGapMs;
    }
    return at;
  }

  #prune(now: number) {
    let drop = 0;
    while (drop < this.#botSlots.length && this.#botSlots[drop] <= now - this.#botGapMs) drop++;
    if (drop) this.#botSlots = this.#botSlots.slice(drop);
    for (const [chat, next] of this.#chatNext) if (next <= now) this.#chatNext.delete(chat);
  }
}
