/**
 * A fake ERP on 127.0.0.1: one protocol handler at one path, a record of every work order it
 * accepted, and the ability to go down (connection refused) and come back on the same port.
 */
export interface ErpRecord {
  workOrderId: string;
  asset: string;
  status: string;
  priority: string;
  revision: number;
  receivedAt: string;
}

/** What a protocol handler decided: accepted (with the record) or refused (with the reason). */
export type Handled = { record: ErpRecord; response: Response } | {
  refused: string;
  response: Response;
};
export type ErpHandler = (req: Request) => Promise<Handled>;

export interface FakeErp {
  tenant: string;
  protocol: string;
  /** The URL the tenant's endpoint posts to. */
  url: string;
  readonly up: boolean;
  received: ErpRecord[];
  refusals: string[];
  /** The latest revision of each work order, as the ERP would now show it. */
  workOrders(): Record<string, ErpRecord>;
  down(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function startFakeErp(
  opts: { tenant: string; protocol: string; port: number; path: string; handle: ErpHandler },
): FakeErp {
  const received: ErpRecord[] = [];
  const refusals: string[] = [];
  const handler = async (req: Request) => {
    if (req.method !== "POST" || new URL(req.url).pathname !== opts.path) {
      return new Response("not found", { status: 404 });
    }
    const handled = await opts.handle(req);
    if ("record" in handled) received.push(handled.record);
    else refusals.push(handled.refused);
    return handled.response;
  };
  const listen = (port: number) =>
    Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, handler);
  let server: Deno.HttpServer<Deno.NetAddr> | null = listen(opts.port);
  const port = server.addr.port;
  return {
    tenant: opts.tenant,
    protocol: opts.protocol,
    url: `http://127.0.0.1:${port}${opts.path}`,
    get up() {
      return server !== null;
    },
    received,
    refusals,
    workOrders() {
      const latest: Record<string, ErpRecord> = {};
      for (const r of received) {
        if ((latest[r.workOrderId]?.revision ?? 0) < r.revision) latest[r.workOrderId] = r;
      }
      return latest;
    },
    async down() {
      await server?.shutdown();
      server = null;
    },
    start() {
      server ??= listen(port);
    },
    async stop() {
      await server?.shutdown();
      server = null;
    },
  };
}

export const now = () => new Date().toISOString();
