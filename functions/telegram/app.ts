/** The Telegram bot's webhook. */
import type { AppContext } from "../_shared/context.ts";
import { createFunctionApp } from "../_shared/http.ts";

export function createTelegramApp(ctx: AppContext) {
  const app = createFunctionApp("telegram", ctx);
  return app;
}
