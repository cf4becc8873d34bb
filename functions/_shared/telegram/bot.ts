/**
 * The bot: grammY pointed at `TELEGRAM_API_ROOT`, with the linking commands. Webhook mode only;
 * `functions/telegram` hands it the updates.
 */
import { z } from "zod";
import { Api, Bot, type Context } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { AppContext } from "../context.ts";
import type { Config } from "../config.ts";
import { type ChatInfo, redeemLinkCode, tenantsOfChat, unlinkChat } from "./linking.ts";
import { subscriptionsOfTenants } from "./chat-subscriptions.ts";
import { replies, replyLanguage } from "./replies.ts";

const text = (max: number) => z.string().max(max);
const telegramId = z.number().int().refine(Number.isSafeInteger, "must be a safe integer");
const user = z.looseObject({
  id: telegramId,
  is_bot: z.boolean(),
  first_name: text(256),
  username: text(64).optional(),
  language_code: text(35).optional(),
});
const message = z.looseObject({
  message_id: telegramId,
  date: telegramId,
  chat: z.looseObject({
    id: telegramId,
    type: z.enum(["private", "group", "supergroup", "channel"]),
    title: text(256).optional(),
    username: text(64).optional(),
    first_name: text(256).optional(),
  }),
  from: user.optional(),
  text: text(4096).optional(),
  entities: z.array(
    z.looseObject({
      type: text(64),
      offset: z.number().int().min(0),
      length: z.number().int().min(0),
    }),
  ).max(200).optional(),
});

/**
 * The parts of an update the bot reads, as the Bot API documents them; other fields pass. An
 * update that does not match is answered 200 and ignored (a 4xx or 5xx would be redelivered).
 */
export const telegramUpdateSchema = z.looseObject({
  update_id: z.number().int().min(0).refine(Number.isSafeInteger, "must be a safe integer"),
  message: message.optional(),
  edited_message: message.optional(),
});

/** A Bot API client for sending; no getMe needed. */
export function createApi(config: Config): Api {
  return new Api(requireToken(config), { apiRoot: config.TELEGRAM_API_ROOT });
}

function requireToken(config: Config): string {
  if (!config.TELEGRAM_BOT_TOKEN) throw new Error("Telegram is off: TELEGRAM_BOT_TOKEN is not set");
  return config.TELEGRAM_BOT_TOKEN;
}

/** The bot with its commands. Without `botInfo`, grammY fetches it once (getMe) on the first update. */
export function createBot(ctx: AppContext, botInfo?: UserFromGetMe): Bot {
  const bot = new Bot(requireToken(ctx.config), {
    client: { apiRoot: ctx.config.TELEGRAM_API_ROOT },
    botInfo,
  });
  const say = (c: Context) => replies[replyLanguage(c.from?.language_code)];
  const reply = (c: Context, html: string) =>
    c.reply(html, { parse_mode: "HTML", link_preview_options: { is_disabled: true } });

  bot.command("start", async (c) => {
    const code = c.match.trim();
    if (!code) return void await reply(c, say(c).welcome);
    const result = await redeemLinkCode(ctx.sql, code, c.chat as ChatInfo, ctx.clock);
    if (!result.ok) return void await reply(c, say(c).refused[result.reason]);
    ctx.log.info("telegram chat linked", { tenant: result.tenant, chatId: c.chat.id });
    await reply(c, say(c).linked(result.tenant));
  });

  bot.command("status", async (c) => {
    const tenants = await tenantsOfChat(ctx.sql, c.chat.id);
    if (!tenants.length) return void await reply(c, say(c).notLinked);
    await reply(c, say(c).status(await subscriptionsOfTenants(ctx.sql, tenants)));
  });

  bot.command("stop", async (c) => {
    const tenants = await unlinkChat(ctx.sql, c.chat.id, "unlinked", "/stop in the chat");
    if (tenants.length) ctx.log.info("telegram chat unlinked", { tenants, chatId: c.chat.id });
    await reply(c, tenants.length ? say(c).stopped(tenants) : say(c).notLinked);
  });

  bot.command("help", (c) => reply(c, say(c).help));
  // In groups only commands get an answer, so the bot never talks over people.
  bot.on(
    "message",
    (c) =>
      c.chat.type === "private" || c.message.text?.startsWith("/")
        ? reply(c, say(c).help)
        : undefined,
  );
  return bot;
}
