/**
 * What the pipeline does with a batch the relay hands over: route it and record the hand-over in
 * one transaction, then compose DTOs. (Cached timelines need nothing: a new event moves the
 * entity's version, which every cached page is checked against.) Idempotent by event id:
 * routing is unique per event × endpoint, so a replayed batch routes nothing new.
 */
import type { AppContext } from "../context.ts";
import type { LoggedEvent } from "../events/envelope.ts";
import { routeEvents } from "../delivery/route.ts";
import { composeDtos } from "../dtos/composer.ts";

export interface HandoverResult {
  routed: number;
  composed: number;
}

export async function acceptHandover(
  ctx: AppContext,
  events: LoggedEvent[],
): Promise<HandoverResult> {
  if (events.length === 0) return { routed: 0, composed: 0 };
  const maxSeq = events.reduce((m, e) => Math.max(m, e.seq), 0);
  const routed = await ctx.sql.begin(async (tx) => {
    const n = await routeEvents(tx, events);
    await tx`update switchyard.relay_state
      set last_seq = greatest(last_seq, ${maxSeq}), handed_over = handed_over + ${events.length}, handed_over_at = now()
      where id`;
    return n;
  });
  await composeDtos(ctx, events);
  return { routed, composed: events.length };
}
