/** The example's console: what each fake ERP holds, and a switch to take one down and bring it back. */
import { Hono } from "hono";
import type { FakeErp } from "./erps/server.ts";
import { serveLocal } from "../_shared/local.ts";

export function startConsole(opts: { port: number; erps: FakeErp[] }) {
  const app = new Hono();
  const view = (e: FakeErp) => ({
    tenant: e.tenant,
    protocol: e.protocol,
    url: e.url,
    up: e.up,
    accepted: e.received.length,
    refused: e.refusals,
    workOrders: e.workOrders(),
  });
  const find = (tenant: string) => opts.erps.find((e) => e.tenant === tenant);
  app.get("/erps", (c) => c.json({ items: opts.erps.map(view) }));
  app.get("/erps/:tenant", (c) => {
    const erp = find(c.req.param("tenant"));
    return erp ? c.json(view(erp)) : c.json({ error: "no such ERP" }, 404);
  });
  app.post("/erps/:tenant/:action{down|up}", async (c) => {
    const erp = find(c.req.param("tenant"));
    if (!erp) return c.json({ error: "no such ERP" }, 404);
    if (c.req.param("action") === "down") await erp.down();
    else erp.start();
    return c.json(view(erp));
  });
  return serveLocal(app, opts.port);
}
