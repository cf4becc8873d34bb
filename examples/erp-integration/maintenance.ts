/**
 * The maintenance system's own tiny HTTP API on 127.0.0.1: it only writes maint.work_orders, and the
 * capture trigger turns each change into an event. Nothing here knows about ERPs.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Sql } from "../../functions/_shared/db.ts";
import { answerPostgresErrors, serveLocal } from "../_shared/local.ts";

const statuses = ["OPEN", "IN_PROGRESS", "DONE", "CANCELLED"] as const;
const priorities = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;

const newWorkOrderSchema = z.object({
  tenant: z.string().min(1).max(63),
  workOrderId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  asset: z.string().min(1).max(200),
  description: z.string().max(2000).default(""),
  priority: z.enum(priorities).default("MEDIUM"),
  dueDate: z.iso.date().optional(),
}).strict();

const changeSchema = z.object({
  status: z.enum(statuses).optional(),
  priority: z.enum(priorities).optional(),
  description: z.string().max(2000).optional(),
}).strict().refine(
  (c) => Object.keys(c).length > 0,
  "change at least one of status, priority, description",
);

const answers: Record<string, [number, string]> = {
  "23505": [409, "this work order already exists"],
  "23503": [400, "unknown tenant"],
};

export function startMaintenance(opts: { port: number; sql: Sql }) {
  const { sql } = opts;
  const app = new Hono();
  answerPostgresErrors(app, answers);
  app.post("/work-orders", async (c) => {
    const input = newWorkOrderSchema.safeParse(await c.req.json().catch(() => null));
    if (!input.success) {
      return c.json({ error: "invalid work order", details: input.error.issues }, 400);
    }
    const w = input.data;
    const [row] =
      await sql`insert into maint.work_orders (tenant_id, work_order_id, asset, description, priority, due_date)
      values (${w.tenant}, ${w.workOrderId}, ${w.asset}, ${w.description}, ${w.priority}, ${
        w.dueDate ?? null
      }) returning *`;
    return c.json(row, 201);
  });
  app.patch("/work-orders/:tenant/:id", async (c) => {
    const change = changeSchema.safeParse(await c.req.json().catch(() => null));
    if (!change.success) {
      return c.json({ error: "invalid change", details: change.error.issues }, 400);
    }
    const [row] = await sql`update maint.work_orders set ${sql(change.data)}, updated_at = now()
      where tenant_id = ${c.req.param("tenant")} and work_order_id = ${
      c.req.param("id")
    } returning *`;
    return row ? c.json(row) : c.json({ error: "work order not found" }, 404);
  });
  app.get("/work-orders", async (c) => {
    const tenant = c.req.query("tenant");
    const items = await sql`select * from maint.work_orders
      where ${tenant ? sql`tenant_id = ${tenant}` : sql`true`} order by tenant_id, work_order_id`;
    return c.json({ items });
  });
  return serveLocal(app, opts.port);
}
