/** Standard Webhooks verification with the official `standardwebhooks` library, then the envelope checked with zod. */
import { Webhook } from "standardwebhooks";
import { z } from "zod";

const envelopeSchema = z.object({
  id: z.string(),
  type: z.string(),
  tenant: z.string(),
  entity: z.object({ type: z.string(), id: z.string() }),
  version: z.number().int(),
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
}).loose();

export type Envelope = z.infer<typeof envelopeSchema>;

export type Verified = { ok: true; webhookId: string; event: Envelope } | {
  ok: false;
  reason: string;
};

/** Checks the signature (and its timestamp's freshness) against `secret`, then the body's shape. */
export async function verifyWebhook(req: Request, secret: string): Promise<Verified> {
  const body = await req.text();
  const headers = Object.fromEntries(req.headers);
  if (!secret) return { ok: false, reason: "no signing secret configured yet" };
  try {
    new Webhook(secret).verify(body, headers);
  } catch (err) {
    return { ok: false, reason: `bad signature: ${(err as Error).message}` };
  }
  const event = envelopeSchema.safeParse(JSON.parse(body));
  if (!event.success) return { ok: false, reason: "not a Switchyard event envelope" };
  return { ok: true, webhookId: headers["webhook-id"], event: event.data };
}
