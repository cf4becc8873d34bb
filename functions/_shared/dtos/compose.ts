/** DTO composition for a handed-over batch: the pipeline calls this after each hand-over. */
import type { AppContext } from "../context.ts";
import type { LoggedEvent } from "../events/envelope.ts";
import { composeBatch, type ComposeOptions, type ComposeResult } from "./composer.ts";

export type { ComposeResult } from "./composer.ts";

/**
 * `coalesce: false` composes event by event (one write per event); it exists to measure what
 * coalescing saves, never for production.
 */
export async function composeDtos(
  ctx: AppContext,
  events: LoggedEvent[],
  opts: ComposeOptions & { coalesce?: boolean } = {},
): Promise<ComposeResult> {
  if (opts.coalesce !== false) return await composeBatch(ctx, events, opts);
  const total: ComposeResult = { events: 0, keys: 0, writes: 0, failed: 0, conciliated: 0 };
  for (const event of events) {
    const r = await composeBatch(ctx, [event], opts);
    for (const k of Object.keys(total) as (keyof ComposeResult)[]) total[k] += r[k];
  }
  return total;
}
