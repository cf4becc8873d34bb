/**
 * A real HTTP receiver on 127.0.0.1 for delivery tests and examples: records every request and
 * answers as told (status, delay, body), can go down and come back on the same port.
 */
import { waitUntil } from "./wait.ts";
import { sleep } from "../functions/_shared/clock.ts";

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface Answer {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

export type Responder = (req: Received, index: number) => Answer | undefined;

export interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  /** How to answer from now on (default: 200 "ok"). */
  respond(fn: Responder): void;
  /** Waits until `count` requests arrived, or fails after `timeoutMs`. */
  waitFor(
    count: number,
    timeoutMs?: number,
    filter?: (r: Received) => boolean,
  ): Promise<Received[]>;
  down(): Promise<void>;
  up(): void;
  close(): Promise<void>;
}

export function startReceiver(opts: { port?: number } = {}): Receiver {
  const requests: Received[] = [];
  let responder: Responder = () => undefined;
  let server: Deno.HttpServer<Deno.NetAddr> | null = null;
  const handler = async (req: Request) => {
    const received: Received = {
      method: req.method,
      path: new URL(req.url).pathname + new URL(req.url).search,
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
      at: performance.now(),
    };
    const index = requests.push(received) - 1;
    const answer = responder(received, index) ?? {};
    if (answer.delayMs) await sleep(answer.delayMs);
    return new Response(answer.body ?? "ok", {
      status: answer.status ?? 200,
      headers: answer.headers,
    });
  };
  const listen = (port: number) =>
    Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, handler);
  server = listen(opts.port ?? 0);
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    respond(fn) {
      responder = fn;
    },
    waitFor: (count, timeoutMs = 15_000, filter = () => true) =>
      waitUntil(
        `${count} requests at the receiver`,
        () => requests.filter(filter).length >= count && requests.filter(filter),
        timeoutMs,
      ),
    async down() {
      await server?.shutdown();
      server = null;
    },
    up() {
      if (!server) server = listen(port);
    },
    async close() {
      await server?.shutdown();
      server = null;
    },
  };
}
