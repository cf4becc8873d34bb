/**
 * Sends one message to one chat under flood control: the in-process planner queues it into its
 * slot, a short fast-store lease per chat and a bot-wide rate limit keep other processes in step,
 * and a 429's `retry_after` is honoured a bounded number of times.
 */
import { type Api, GrammyError, HttpError } from "grammy";
import type { Clock } from "../clock.ts";
import type { FastStore } from "../store/store.ts";
import type { Logger } from "../log.ts";
import { defaultFloodLimits, type FloodLimits, FloodPlanner } from "./flood.ts";

export interface SendOptions {
  limits?: Partial<FloodLimits>;
  /** Resends after a 429 before giving the failure back to the delivery retry path. */
  maxRetries?: number;
}

export interface ChatOutcome {
  chatId: string;
  ok: boolean;
  status?: number;
  retryAfterMs?: number;
  /** The chat blocked the bot, left, or no longer exists: stop sending to it. */
  gone?: boolean;
  permanent?: boolean;
  /** Not sent yet: the chat's queue is full for now (flood control), not a failure. */
  deferred?: boolean;
  error?: string;
  messageId?: number;
}

export class TelegramSender {
  readonly planner: FloodPlanner;
  readonly #limits: FloodLimits;
  readonly #maxRetries: number;
  #closed = false;

  constructor(
    private readonly api: Api,
    private readonly store: FastStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    opts: SendOptions = {},
  ) {
    this.#limits = { ...defaultFloodLimits, ...opts.limits };
    this.planner = new FloodPlanner(this.#limits);
    this.#maxRetries = opts.maxRetries ?? 3;
  }

  /** Sends still queued give up (retryable) instead of sending; for shutdown. */
  close(): void {
    this.#closed = true;
  }

  /**
   * Sends within `budgetMs` (the endpoint's timeout, which the delivery lease covers): a queue slot
   * or a 429 wait beyond it is handed back as `retryAfterMs` rather than waited out.
   */
  async send(chatId: string, html: string, budgetMs = 10_000): Promise<ChatOutcome> {
    const deadline = this.clock.now() + budgetMs;
    for (let retries = 0;; retries++) {
      if (this.#closed) return { chatId, ok: false, error: "the sender is shutting down" };
      const at = this.planner.earliest(chatId, this.clock.now());
      if (at > deadline) {
        return {
          chatId,
          ok: false,
          deferred: true,
          retryAfterMs: at - this.clock.now(),
          error: "flood control: the chat's queue is full",
        };
      }
      await this.#takeSlot(chatId);
      if (this.#closed) return { chatId, ok: false, error: "the sender is shutting down" };
      try {
        const msg = await this.api.sendMessage(chatId, html, {
          parse_mode: "HTML",
          link_preview_options: { is_disabled: true },
        });
        return { chatId, ok: true, status: 200, messageId: msg.message_id };
      } catch (err) {
        const outcome = classify(chatId, err);
        if (outcome.retryAfterMs === undefined) return outcome;
        const until = this.clock.now() + outcome.retryAfterMs;
        this.planner.holdChat(chatId, until);
        if (retries >= this.#maxRetries || until > deadline) return outcome;
        this.log.warn("telegram asked to slow down", {
          chatId,
          retryAfterMs: outcome.retryAfterMs,
        });
      }
    }
  }

  /** Waits for this process's slot, then for the cross-process lease; loops when another process got there first. */
  async #takeSlot(chatId: string): Promise<void> {
    while (!this.#closed) {
      const at = this.planner.reserve(chatId, this.clock.now());
      const wait = at - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait);
      const shared = await this.#sharedSlot(chatId);
      if (shared === 0) return;
      this.planner.holdChat(chatId, this.clock.now() + shared);
    }
  }

  /** 0 when this process may send now; else how long to wait. A failing store never blocks sending. */
  async #sharedSlot(chatId: string): Promise<number> {
    try {
      // The lease is a little shorter than the spacing so timer jitter does not cost a whole slot.
      const leased = await this.store.set(`telegram:chat:${chatId}:slot`, 1, {
        nx: true,
        ttlMs: Math.max(1, this.#limits.perChatMs - 50),
      });
      if (!leased) return 100;
      const bot = await this.store.rateLimit("telegram:bot", this.#limits.perBotPerSecond, 1_000);
      return bot.success ? 0 : Math.max(10, bot.resetMs - this.clock.now());
    } catch (err) {
      this.log.warn("telegram flood control falls back to this process only", { err });
      return 0;
    }
  }
}

/** Maps a Bot API failure to an outcome: 429 waits, 403 means the chat is gone, other 4xx are permanent. */
export function classify(chatId: string, err: unknown): ChatOutcome {
  if (err instanceof GrammyError) {
    const status = err.error_code;
    const error = err.description.slice(0, 500);
    if (status === 429) {
      return {
        chatId,
        ok: false,
        status,
        error,
        retryAfterMs: Math.max(1, err.parameters.retry_after ?? 1) * 1_000,
      };
    }
    if (status === 403) return { chatId, ok: false, status, error, gone: true, permanent: true };
    if (
      status === 400 &&
      /chat not found|user is deactivated|group chat was (upgraded|deleted)/i.test(error)
    ) {
      return { chatId, ok: false, status, error, gone: true, permanent: true };
    }
    return { chatId, ok: false, status, error, permanent: status >= 400 && status < 500 };
  }
  if (err instanceof HttpError) {
    return { chatId, ok: false, error: `network error: ${String(err.message).slice(0, 300)}` };
  }
  return { chatId, ok: false, error: String((err as Error)?.message ?? err).slice(0, 500) };
}
