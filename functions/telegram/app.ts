/**
 * The Telegram bot's webhook, served at the function root (`POST /functions/v1/telegram`). Updates
 * are accepted only with the right `X-Telegram-Bot-Api-Secret-Token`. An update the bot cannot use
 * (malformed, or refused by the Bot API when answering) is answered 200 and logged, so Telegram does
 * not redeliver it forever; only a transient failure of ours (database, network) is a 5xx.
 */
import { BotError, GrammyError, HttpError } from "grammy";
import type { Update } from "grammy/types";
import type { AppContext } from "../_shared/context.ts";
import { createFunctionApp, readJson } from "../_shared/http.ts";
import { AppError } from "../_shared/errors.ts";
import { timingSafeEqual } from "../_shared/secrets.ts";
import { createBot, telegramUpdateSchema } from "../_shared/telegram/bot.ts";
import { issuesToDetails, jsonProblem, parseExactJson } from "../_shared/validation.ts";

/** Telegram's updates are a few KiB; this leaves room for long messages with entities. */
const MAX_UPDATE_BYTES = 256 * 1024;
const MAX_UPDATE_DEPTH = 64;

export function createTelegramApp(ctx: AppContext) {
  const app = createFunctionApp("telegram", ctx);
  const { TELEGRAM_BOT_TOKEN: token, TELEGRAM_WEBHOOK_SECRET: secret } = ctx.config;
  if (!token || !secret) {
    const missing = !token ? "TELEGRAM_BOT_TOKEN" : "TELEGRAM_WEBHOOK_SECRET";
    app.post("/", () => {
      throw new AppError("unavailable", `Telegram is off: ${missing} is not set`);
    });
    return app;
  }

  const bot = createBot(ctx);
  app.post("/", async (c) => {
    if (!timingSafeEqual(c.req.header("x-telegram-bot-api-secret-token") ?? "", secret)) {
      throw new AppError("unauthorized", "wrong or missing X-Telegram-Bot-Api-Secret-Token");
    }
    const body = await readJson(c, MAX_UPDATE_BYTES, parseExactJson);
    const parsed = telegramUpdateSchema.safeParse(body);
    const problem = parsed.success ? jsonProblem(body, MAX_UPDATE_DEPTH) : null;
    if (!parsed.success || problem) {
      const details = parsed.success
        ? [{ path: problem!.path.join("."), message: problem!.message }]
        : issuesToDetails(parsed.error.issues);
      ctx.log.warn("telegram update ignored: not one the bot can use", { details });
      return c.json({ ok: true, ignored: true }, 200);
    }
    if (!bot.isInited()) await bot.init();
    try {
      await bot.handleUpdate(parsed.data as unknown as Update);
    } catch (err) {
      const cause = err instanceof BotError ? err.error : err;
      // The Bot API refused our answer (chat gone, bot blocked…): sending it again would not help.
      if (cause instanceof GrammyError && cause.error_code < 500 && cause.error_code !== 429) {
        ctx.log.warn("telegram update ignored: the Bot API refused the answer", {
          method: cause.method,
          code: cause.error_code,
          description: cause.description,
        });
        return c.json({ ok: true, ignored: true }, 200);
      }
      // Anything else is ours or transient: a 5xx, so Telegram delivers the update again.
      if (cause instanceof HttpError) {
        throw new AppError("unavailable", "the Bot API did not answer; retry later");
      }
      throw cause;
    }
    return c.json({ ok: true }, 200);
  });
  return app;
}
