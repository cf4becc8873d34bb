/**
 * `events tail`: a long poll over a tenant's log. It answers as soon as events after the cursor
 * exist, or after `waitMs` with none. It re-reads the tenant's (tenant, seq) index a few times a
 * second only while a caller is waiting: nothing runs between requests.
 */
import type { AppContext } from "../context.ts";
import { viaDatabase } from "../db.ts";
import { cursorCodec, cursorScope } from "./cursor.ts";
import { type EventEnvelope, toEnvelope } from "./envelope.ts";
import { eventsAfter, latestSeq } from "./queries.ts";

export const MAX_TAIL_WAIT_MS = 25_000;
const TAIL_PAGE = 500;
const POLL_MS = 250;

export interface TailPage {
  items: EventEnvelope[];
  cursor: string;
}

/** Events of `tenant` after `after` (empty: from now), oldest first, waiting up to `waitMs` for some. */
export async function tailEvents(
  ctx: AppContext,
  tenant: string,
  after: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<TailPage> {
  const scope = cursorScope({ tenant });
  const cursors = cursorCodec(ctx.config, ctx.clock);
  let position = after
    ? cursors.decode(after, "tail", scope)
    : await viaDatabase(ctx, () => latestSeq(ctx.sql));
  const deadline = ctx.clock.now() + Math.min(waitMs, MAX_TAIL_WAIT_MS);
  for (;;) {
    const events = await viaDatabase(ctx, () => eventsAfter(ctx.sql, tenant, position, TAIL_PAGE));
    if (events.length) position = events[events.length - 1].seq;
    const remaining = deadline - ctx.clock.now();
    if (events.length || remaining <= 0 || signal?.aborted) {
      return { items: events.map(toEnvelope), cursor: cursors.encode("tail", position, scope) };
    }
    await ctx.clock.sleep(Math.min(POLL_MS, remaining));
  }
}
