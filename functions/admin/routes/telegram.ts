/** Telegram: one-time link codes, linked chats, and pointing Telegram at our webhook. */
import { z } from "zod";
import type { Hono } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import { viaDatabase } from "../../_shared/db.ts";
import { type Env, readJson } from "../../_shared/http.ts";
import { AppError } from "../../_shared/errors.ts";
import { parseOrThrow, slugSchema } from "../../_shared/validation.ts";
import { getTenant } from "../../_shared/tenants.ts";
import { issueLinkCode, listChats } from "../../_shared/telegram/linking.ts";
import { createApi } from "../../_shared/telegram/bot.ts";
import { MAX_ADMIN_BODY } from "./tenants.ts";

const linkBody = z.object({ tenant: slugSchema }).strict();
const webhookBody = z.object({
  url: z.string().max(2_000).refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), {
    message: "must be an http(s) URL",
  }),
}).strict();

export function registerTelegramRoutes(app: Hono<Env>, ctx: AppContext) {
  app.post("/telegram/link", async (c) => {
    const body = parseOrThrow(linkBody, await readJson(c, MAX_ADMIN_BODY), "link request");
    return c.json(
      await viaDatabase(ctx, () => issueLinkCode(ctx.sql, body.tenant, ctx.clock)),
      201,
    );
  });

  app.get("/telegram/chats", async (c) => {
    const tenant = parseOrThrow(slugSchema, c.req.query("tenant"), "tenant");
    await viaDatabase(ctx, () => getTenant(ctx.sql, tenant));
    return c.json({ items: await viaDatabase(ctx, () => listChats(ctx.sql, tenant)) });
  });

  app.post("/telegram/set-webhook", async (c) => {
    const body = parseOrThrow(webhookBody, await readJson(c, MAX_ADMIN_BODY), "webhook request");
    const { TELEGRAM_BOT_TOKEN: token, TELEGRAM_WEBHOOK_SECRET: secret } = ctx.config;
    if (!token || !secret) {
      throw new AppError(
        "unavailable",
        `Telegram is off: ${!token ? "TELEGRAM_BOT_TOKEN" : "TELEGRAM_WEBHOOK_SECRET"} is not set`,
      );
    }
    try {
      await createApi(ctx.config).setWebhook(body.url, {
        secret_token: secret,
        allowed_updates: ["message"],
      });
    } catch (err) {
      throw new AppError(
        "bad_request",
        `Telegram refused the webhook: ${(err as Error).message}`.slice(0, 500),
      );
    }
    return c.json({ ok: true, url: body.url });
  });
}
