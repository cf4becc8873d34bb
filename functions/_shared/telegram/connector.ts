/**
 * The `telegram` endpoint kind: a matching event becomes one HTML message to each of the tenant's
 * linked chats (or the chats the endpoint names). One chat's failure does not fail the others; a
 * chat that blocked the bot is unlinked, and what can still succeed goes back to the retry path.
 */
import type { AppContext } from "../context.ts";
import type { Connector, SendResult } from "../delivery/connector.ts";
import { createApi } from "./bot.ts";
import { activeChatIds, unlinkChat } from "./linking.ts";
import { type ChatOutcome, TelegramSender } from "./send.ts";
import { renderMessage, telegramTransformSchema } from "./templates.ts";

/** Chats already sent a delivery are remembered this long, so a retry reaches only the rest. */
const SENT_TTL_MS = 7 * 24 * 3_600_000;
const EXCERPT_CHARS = 4_096;

// One sender per context (per process), so flood control covers every concurrent send.
const senders = new WeakMap<AppContext, TelegramSender>();

export function senderFor(ctx: AppContext): TelegramSender {
  let sender = senders.get(ctx);
  if (!sender) {
    senders.set(
      ctx,
      sender = new TelegramSender(createApi(ctx.config), ctx.store, ctx.clock, ctx.log),
    );
  }
  return sender;
}

export const telegramConnector: Connector = {
  async send(ctx, delivery, endpoint, event) {
    const started = ctx.clock.now();
    const result = (r: Omit<SendResult, "latencyMs">): SendResult => ({
      ...r,
      latencyMs: ctx.clock.now() - started,
    });
    if (!ctx.config.TELEGRAM_BOT_TOKEN) {
      return result({
        ok: false,
        permanent: true,
        error: "Telegram is off: TELEGRAM_BOT_TOKEN is not set",
      });
    }
    const transform = telegramTransformSchema.safeParse(endpoint.transform ?? {});
    if (!transform.success) {
      return result({
        ok: false,
        permanent: true,
        error: `bad telegram transform: ${transform.error.message}`.slice(0, 500),
      });
    }

    const chats = endpoint.chats.length
      ? endpoint.chats
      : await activeChatIds(ctx.sql, endpoint.tenant);
    if (!chats.length) {
      return result({
        ok: false,
        permanent: true,
        error: "no linked Telegram chats: link one with `switchyard telegram link`",
      });
    }
    const html = renderMessage(event, transform.data);
    const sentKeys = chats.map((chat) => `telegram:sent:${delivery.id}:${chat}`);
    const already = await ctx.store.mget(sentKeys).catch(() => sentKeys.map(() => null));
    const sender = senderFor(ctx);
    const outcomes = await Promise.all(chats.map(async (chatId, i): Promise<ChatOutcome> => {
      if (already[i] !== null) return { chatId, ok: true, status: 200 };
      const outcome = await sender.send(chatId, html, endpoint.timeoutMs);
      if (outcome.ok) await ctx.store.set(sentKeys[i], 1, { ttlMs: SENT_TTL_MS }).catch(() => {});
      if (outcome.gone) {
        await unlinkChat(
          ctx.sql,
          chatId,
          "blocked",
          `${outcome.status}: ${outcome.error}`,
          endpoint.tenant,
        );
        ctx.log.warn("telegram chat unlinked: the bot cannot reach it", {
          tenant: endpoint.tenant,
          chatId,
          error: outcome.error,
        });
      }
      return outcome;
    }));
    return result(summarize(outcomes));
  },
};

/** All chats reached or gone for good: done. Any chat worth retrying: retry (sent chats are skipped then). */
export function summarize(outcomes: ChatOutcome[]): Omit<SendResult, "latencyMs"> {
  const sent = outcomes.filter((o) => o.ok).map((o) => o.chatId);
  const failed = outcomes.filter((o) => !o.ok);
  const retryable = failed.filter((o) => !o.permanent);
  const excerpt = JSON.stringify({
    sent,
    failed: failed.map(({ chatId, status, error }) => ({ chatId, status, error })),
  }).slice(0, EXCERPT_CHARS);
  const first = retryable[0] ?? failed[0];
  if (retryable.length) {
    const waits = retryable.map((o) => o.retryAfterMs ?? 0);
    return {
      ok: false,
      status: first.status,
      responseExcerpt: excerpt,
      // Only flood control held chats back: the delivery waits its turn without spending a try.
      ...(retryable.every((o) => o.deferred) ? { deferred: true } : {}),
      ...(Math.max(...waits) > 0 ? { retryAfterMs: Math.max(...waits) } : {}),
      error: `${retryable.length} of ${outcomes.length} chats failed: ${first.error}`,
    };
  }
  if (!sent.length) {
    return {
      ok: false,
      permanent: true,
      status: first.status,
      responseExcerpt: excerpt,
      error: `every chat failed: ${first.error}`,
    };
  }
  return { ok: true, status: 200, responseExcerpt: excerpt };
}
