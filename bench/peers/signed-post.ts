/**
 * What every peer does per job in the delivery benchmark, as Switchyard does per delivery: the
 * envelope as JSON, signed with Standard Webhooks headers, POSTed to the receiver with a deadline.
 */
import { webhookHeaders } from "../../functions/_shared/delivery/signing.ts";

export interface DeliveryJob {
  url: string;
  /** The event envelope. */
  event: { id: string };
}

/** The one signing secret the peers' endpoints share (their jobs carry no secrets). */
export const PEER_SECRET = `whsec_${btoa("peer-benchmark-signing-key-01234")}`;

/** One signed POST; throws on a non-2xx answer or after 10 s, so the peer retries it its way. */
export async function signedPost(job: DeliveryJob): Promise<void> {
  const body = JSON.stringify(job.event);
  const headers = webhookHeaders(
    [PEER_SECRET],
    `${job.event.id}:${job.url}`,
    Date.now(),
    body,
  );
  const res = await fetch(job.url, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}
