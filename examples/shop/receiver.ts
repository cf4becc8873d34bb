/**
 * The tenant's webhook receiver: verifies each delivery's Standard Webhooks signature and keeps what
 * it got, once per webhook-id (a retry carries the same id), at GET /received and in a JSONL file.
 */
import { Hono } from "hono";
import { type Envelope, verifyWebhook } from "./webhook.ts";
import { serveLocal } from "../_shared/local.ts";

export interface StoredWebhook {
  webhookId: string;
  receivedAt: string;
  event: Envelope;
}

export interface Receiver {
  url: string;
  received: StoredWebhook[];
  /** Requests refused for a bad or missing signature. */
  refused: number;
  trust(secret: string): void;
  stop(): Promise<void>;
}

export function startReceiver(opts: { port: number; logFile?: string }): Receiver {
  let secret = "";
  const received: StoredWebhook[] = [];
  const seen = new Set<string>();
  const state = { refused: 0 };
  const app = new Hono();
  app.post("/webhook", async (c) => {
    const v = await verifyWebhook(c.req.raw, secret);
    if (!v.ok) {
      state.refused++;
      return c.json({ error: v.reason }, 401);
    }
    if (seen.has(v.webhookId)) return c.json({ duplicate: true });
    seen.add(v.webhookId);
    const stored = { webhookId: v.webhookId, receivedAt: new Date().toISOString(), event: v.event };
    received.push(stored);
    if (opts.logFile) {
      await Deno.writeTextFile(opts.logFile, JSON.stringify(stored) + "\n", { append: true });
    }
    return c.json({ stored: true });
  });
  app.get("/received", (c) => {
    const type = c.req.query("type");
    return c.json({
      items: received.filter((r) => !type || r.event.type === type),
      refused: state.refused,
    });
  });
  const server = serveLocal(app, opts.port);
  return {
    url: server.url,
    received,
    get refused() {
      return state.refused;
    },
    trust: (s) => void (secret = s),
    stop: server.stop,
  };
}
