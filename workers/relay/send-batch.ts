/**
 * Hands a batch to the pipeline: POST {SUPABASE_URL}/functions/v1/pipeline/batch with the service
 * key, retried with capped backoff until it is accepted or the session is aborted. Events wait
 * safely in the slot meanwhile, and the pipeline is idempotent by event id, so retrying is harmless.
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
}

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
  for (let attempt = 0; !signal.aborted; attempt++) {
    let problem: string;
    try {
      const res = await fetch(target.url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${target.serviceKey}`,
          "content-type": "application/json",
          "x-relay-id": target.relayId,
        },
        body,
        signal,
      });
      const text = await res.text();
      if (res.ok) return true;
      problem = `HTTP ${res.status}: ${text.slice(0, 200)}`;
    } catch (err) {
      if (signal.aborted) return false;
      problem = (err as Error).message;
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
