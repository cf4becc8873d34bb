/**
 * The Telegram bot's webhook, served at the function root (`POST /functions/v1/telegram`). Updates
 * are accepted only with the right `X-Telegram-Bot-Api-Secret-Token`; grammY handles the rest.
 */
import { BotError, webhookCallback } from "grammy";
import type { AppContext } from "../_shared/context.ts";
import { createFunctionApp } from "../_shared/http.ts";
import { AppError } from "../_shared/errors.ts";
import { timingSafeEqual } from "../_shared/secrets.ts";
import { createBot } from "../_shared/telegram/bot.ts";

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

  const handle = webhookCallback(createBot(ctx), "hono", { secretToken: secret });
  app.post("/", async (c) => {
    if (!timingSafeEqual(c.req.header("x-telegram-bot-api-secret-token") ?? "", secret)) {
      throw new AppError("unauthorized", "wrong or missing X-Telegram-Bot-Api-Secret-Token");
    }
    // Hono caches the parsed body, so grammY reads the same update.
    await c.req.json().catch(() => {
      throw new AppError("bad_request", "body is not a JSON update");
    });
    try {
      return await handle(c);
    } catch (err) {
      // A failed update answers 5xx, so Telegram delivers it again.
      throw err instanceof BotError ? err.error : err;
    }
  });
  return app;
}
