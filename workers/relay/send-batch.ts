/**
 * Hands a batch to the pipeline: POST {SUPABASE_URL}/functions/v1/pipeline/batch with the service
 * key, retried with capped backoff until it is accepted or the session is aborted. Each try has a
 * deadline: a functions process that hangs (SIGSTOP, a stuck event loop) holds the relay for that
 * long, not for ever, and the next try opens a new connection. Events wait safely in the slot
 * meanwhile, and the pipeline is idempotent by event id, so retrying is harmless.
 */
import type { Clock } from "../../functions/_shared/clock.ts";
import type { Logger } from "../../functions/_shared/log.ts";
import type { LoggedEvent } from "../../functions/_shared/events/envelope.ts";
import { retryDelayMs } from "../../functions/_shared/retry.ts";

export interface HandoverTarget {
  url: string;
  serviceKey: string;
  relayId: string;
  clock: Clock;
  log: Logger;
  /** How long one try may take. Default: HANDOVER_DEADLINE_MS. */
  deadlineMs?: number;
}

/**
 * One try's deadline. A full batch (RELAY_BATCH_SIZE events) is routed and composed in well under
 * a second here; the pipeline gives its database work DB_BATCH_DEADLINE_MS (10 s) and answers 503
 * past it, so this bounds a functions process that does not answer at all.
 */
export const HANDOVER_DEADLINE_MS = 30_000;

export function pipelineBatchUrl(supabaseUrl: string): string {
  return `${supabaseUrl.replace(/\/+$/, "")}/functions/v1/pipeline/batch`;
}

/** Resolves true once the pipeline answered 2xx; false if `signal` aborted first. */
export async function handOver(
  target: HandoverTarget,
  events: LoggedEvent[],
  signal: AbortSignal,
): Promise<boolean> {
  const body = JSON.stringify({ events });
  const deadlineMs = target.deadlineMs ?? HANDOVER_DEADLINE_MS;
  for (let attempt = 0; !signal.aborted; attempt++) {
    let problem: string;
    const deadline = AbortSignal.timeout(deadlineMs);
    try {
      const res = await fetch(target.url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${target.serviceKey}`,
          "content-type": "application/json",
          "x-relay-id": target.relayId,
        },
        body,
        signal: AbortSignal.any([signal, deadline]),
      });
      const text = await res.text();
      if (res.ok) return true;
      problem = `HTTP ${res.status}: ${text.slice(0, 200)}`;
    } catch (err) {
      if (signal.aborted) return false;
      problem = deadline.aborted ? `no answer within ${deadlineMs} ms` : (err as Error).message;
    }
    const delay = retryDelayMs(attempt);
    target.log.warn("hand-over failed; retrying", {
      attempt: attempt + 1,
      delayMs: delay,
      events: events.length,
      problem,
    });
    await target.clock.sleep(delay, signal);
  }
  return false;
}
