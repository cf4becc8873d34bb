/**
 * A fake Telegram Bot API on 127.0.0.1 (`POST /bot<token>/<method>` → `{ok, result}`), reached
 * through TELEGRAM_API_ROOT. It records every call with its arrival time and can be told to
 * answer 429 (with retry_after) or 403 for a chat.
 */
import { freePort } from "../local/ports.ts";

const FAKE_TOKEN = "123456:TEST-token_abc";
export const FAKE_SECRET = "test-webhook-secret";

export interface Call {
  method: string;
  body: Record<string, unknown>;
  at: number;
  /** Whether the fake answered ok. */
  ok: boolean;
}

type Failure = { status: number; description: string; retryAfter?: number; times: number };

export interface FakeTelegram {
  apiRoot: string;
  calls: Call[];
  /** Messages that were accepted. */
  sent(
    chatId?: string | number,
  ): { chatId: string; text: string; parseMode?: string; at: number }[];
  /** The next `times` sendMessage calls to the chat answer 429 with `retry_after`. */
  rateLimit(chatId: string | number, retryAfter: number, times?: number): void;
  /** Every sendMessage to the chat answers 403, as when the user blocked the bot. */
  block(chatId: string | number): void;
  env: Record<string, string>;
  close(): Promise<void>;
}

export function startFakeTelegram(token = FAKE_TOKEN): FakeTelegram {
  const calls: Call[] = [];
  const failures = new Map<string, Failure>();
  let messageId = 0;
  const port = freePort();
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(new URL(req.url).pathname);
    if (!m || m[1] !== token) {
      return Response.json({ ok: false, error_code: 404, description: "Not Found" }, {
        status: 404,
      });
    }
    const text = await req.text();
    const body = text ? JSON.parse(text) as Record<string, unknown> : {};
    const method = m[2];
    const at = Date.now();
    const call: Call = { method, body, at, ok: true };
    calls.push(call);
    if (method === "getMe") {
      return ok({
        id: 123456,
        is_bot: true,
        first_name: "Switchyard",
        username: "switchyard_test_bot",
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
      });
    }
    if (method === "sendMessage") {
      const chatId = String(body.chat_id);
      const failure = failures.get(chatId);
      if (failure && failure.times > 0) {
        failure.times--;
        call.ok = false;
        return Response.json({
          ok: false,
          error_code: failure.status,
          description: failure.description,
          ...(failure.retryAfter !== undefined
            ? { parameters: { retry_after: failure.retryAfter } }
            : {}),
        }, { status: failure.status });
      }
      return ok({
        message_id: ++messageId,
        date: Math.floor(at / 1000),
        chat: { id: Number(chatId), type: "private" },
        text: body.text,
      });
    }
    return ok(true);
  });
  const ok = (result: unknown) => Response.json({ ok: true, result });
  const apiRoot = `http://127.0.0.1:${port}`;
  return {
    apiRoot,
    calls,
    sent: (chatId) =>
      calls
        .filter((c) =>
          c.method === "sendMessage" && c.ok &&
          (chatId === undefined || String(c.body.chat_id) === String(chatId))
        )
        .map((c) => ({
          chatId: String(c.body.chat_id),
          text: String(c.body.text),
          parseMode: c.body.parse_mode as string | undefined,
          at: c.at,
        })),
    rateLimit(chatId, retryAfter, times = 1) {
      failures.set(String(chatId), {
        status: 429,
        description: `Too Many Requests: retry after ${retryAfter}`,
        retryAfter,
        times,
      });
    },
    block(chatId) {
      failures.set(String(chatId), {
        status: 403,
        description: "Forbidden: bot was blocked by the user",
        times: Infinity,
      });
    },
    env: {
      TELEGRAM_BOT_TOKEN: token,
      TELEGRAM_API_ROOT: apiRoot,
      TELEGRAM_WEBHOOK_SECRET: FAKE_SECRET,
    },
    close: () => server.shutdown(),
  };
}

let updateId = 1000;

/** A Telegram update carrying a text message from a private chat. */
export function textUpdate(
  chatId: number,
  text: string,
  opts: { languageCode?: string; username?: string } = {},
) {
  const command = /^\/\w+/.exec(text);
  return {
    update_id: ++updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: {
        id: chatId,
        type: "private",
        first_name: "Ana",
        username: opts.username ?? `user${chatId}`,
      },
      from: {
        id: chatId,
        is_bot: false,
        first_name: "Ana",
        language_code: opts.languageCode ?? "en",
      },
      text,
      ...(command
        ? { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] }
        : {}),
    },
  };
}
