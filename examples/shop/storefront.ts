/**
 * The shop's own tiny HTTP API on 127.0.0.1: place, cancel and read orders, list products. Each call
 * is one SQL function, which writes the row and emits its event in one transaction.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Sql } from "../../functions/_shared/db.ts";
import { answerPostgresErrors, serveLocal } from "../_shared/local.ts";

const newOrderSchema = z.object({
  orderId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  sku: z.string().regex(/^[A-Z0-9-]{1,40}$/),
  qty: z.number().int().min(1).max(1000),
}).strict();

interface OrderRow {
  order_id: string;
  sku: string;
  qty: number;
  status: string;
  reason: string | null;
}

const orderJson = (o: OrderRow) => ({
  orderId: o.order_id,
  sku: o.sku,
  qty: o.qty,
  status: o.status,
  reason: o.reason,
});

/** Postgres errors a caller can act on, as HTTP answers. */
const answers: Record<string, [number, string]> = {
  "23505": [409, "an order with this id already exists"],
  "23503": [400, "unknown sku"],
  "P0002": [404, "order not found"],
};

export function startStorefront(opts: { port: number; sql: Sql; tenant: string }) {
  const { sql, tenant } = opts;
  const app = new Hono();
  answerPostgresErrors(app, answers);
  app.post("/orders", async (c) => {
    const input = newOrderSchema.safeParse(await c.req.json().catch(() => null));
    if (!input.success) return c.json({ error: "invalid order", details: input.error.issues }, 400);
    const { sku, qty, orderId = `o-${crypto.randomUUID().slice(0, 8)}` } = input.data;
    const [o] = await sql<
      OrderRow[]
    >`select * from shop.place_order(${tenant}, ${orderId}, ${sku}, ${qty})`;
    return c.json(orderJson(o), 201);
  });
  app.post("/orders/:id/cancel", async (c) => {
    const [o] = await sql<OrderRow[]>`select * from shop.cancel_order(${tenant}, ${
      c.req.param("id")
    })`;
    return c.json(orderJson(o));
  });
  app.get("/orders/:id", async (c) => {
    const [o] = await sql<
      OrderRow[]
    >`select * from shop.orders where tenant_id = ${tenant} and order_id = ${c.req.param("id")}`;
    return o ? c.json(orderJson(o)) : c.json({ error: "order not found" }, 404);
  });
  app.get("/products", async (c) => {
    const items =
      await sql`select sku, name, stock from shop.products where tenant_id = ${tenant} order by sku`;
    return c.json({ items });
  });
  return serveLocal(app, opts.port);
}
