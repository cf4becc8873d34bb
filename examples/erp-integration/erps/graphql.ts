/** Initech's GraphQL ERP: an API-key header and the UpsertWorkOrder mutation; problems come back as `errors`. */
import { z } from "zod";
import { type ErpHandler, now } from "./server.ts";

const requestSchema = z.object({
  query: z.string().regex(
    /mutation UpsertWorkOrder\(\$input: WorkOrderInput!\)[\s\S]*upsertWorkOrder\(input: \$input\)/,
  ),
  operationName: z.literal("UpsertWorkOrder"),
  variables: z.object({
    input: z.object({
      id: z.string().min(1),
      asset: z.string().min(1),
      state: z.enum(["OPEN", "IN_PROGRESS", "DONE", "CANCELLED"]),
      priority: z.enum(["low", "medium", "high", "critical"]),
      revision: z.number().int().positive(),
    }).strict(),
  }),
});

export function graphqlErp(key: { name: string; value: string }): ErpHandler {
  // GraphQL servers answer problems with 200 and `errors`; the connector counts those as failures.
  const refuse = (refused: string, status = 200) => ({
    refused,
    response: Response.json({ errors: [{ message: refused }] }, { status }),
  });
  return async (req) => {
    if (req.headers.get(key.name) !== key.value) return refuse("unauthorized", 401);
    const body = requestSchema.safeParse(await req.json().catch(() => null));
    if (!body.success) {
      return refuse(
        `bad request: ${
          body.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")
        }`,
      );
    }
    const w = body.data.variables.input;
    return {
      record: {
        workOrderId: w.id,
        asset: w.asset,
        status: w.state,
        priority: w.priority.toUpperCase(),
        revision: w.revision,
        receivedAt: now(),
      },
      response: Response.json({
        data: { upsertWorkOrder: { id: `INI-${w.id}`, revision: w.revision } },
      }),
    };
  };
}
