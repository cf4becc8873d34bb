/** Acme's REST ERP: `Authorization: Bearer …`, a JSON body with the fields below, or 4xx. */
import { z } from "zod";
import { type ErpHandler, now } from "./server.ts";

const workOrderSchema = z.object({
  externalId: z.string().min(1),
  asset: z.string().min(1),
  status: z.enum(["open", "in_progress", "done", "cancelled"]),
  priority: z.enum(["low", "medium", "high", "critical"]),
  description: z.string(),
  dueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
  revision: z.number().int().positive(),
}).strict();

export function restErp(token: string): ErpHandler {
  return async (req) => {
    const refuse = (status: number, refused: string) => ({
      refused,
      response: Response.json({ error: refused }, { status }),
    });
    if (req.headers.get("authorization") !== `Bearer ${token}`) {
      return refuse(401, "missing or wrong bearer token");
    }
    if (!req.headers.get("content-type")?.startsWith("application/json")) {
      return refuse(415, "expected application/json");
    }
    const body = workOrderSchema.safeParse(await req.json().catch(() => null));
    if (!body.success) {
      return refuse(
        400,
        `invalid work order: ${
          body.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")
        }`,
      );
    }
    const w = body.data;
    return {
      record: {
        workOrderId: w.externalId,
        asset: w.asset,
        status: w.status.toUpperCase(),
        priority: w.priority.toUpperCase(),
        revision: w.revision,
        receivedAt: now(),
      },
      response: Response.json({ id: `ACME-${w.externalId}`, revision: w.revision }),
    };
  };
}
