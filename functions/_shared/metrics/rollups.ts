/**
 * Hourly rollups: each complete UTC hour is rolled up once (missed hours are caught up), then
 * judged for anomalies, which become `metrics.anomaly` events. Re-running an hour is harmless:
 * its rows are replaced and its anomaly events carry a dedup key.
 */
import type { AppContext } from "../context.ts";
import { appendEvents, type NewEvent } from "../events/append.ts";
import { type AnomalyRule, defaultRule, judge } from "./anomaly.ts";
import {
  type AnomalyInput,
  anomalyInputs,
  firstEventHour,
  rollupsThrough,
  setRollupsThrough,
  storeRollups,
} from "./queries.ts";
import { HOUR_MS, hourFloor } from "./tenant.ts";

const DAY_MS = 24 * HOUR_MS;

export interface RollupOptions {
  /** An hour is rolled up this long after it ends, so late commits still land in it. */
  graceMs: number;
  /** At most this many hours are caught up in one round (the oldest first). */
  maxHoursPerRound: number;
  /** How far back a first run starts. */
  maxBackfillHours: number;
  historyDays: number;
  /** Anomalies are only announced for hours this recent (a backfill does not replay old news). */
  announceWithinMs: number;
  rule: AnomalyRule;
}

export const defaultRollupOptions: RollupOptions = {
  graceMs: 60_000,
  maxHoursPerRound: 24 * 14,
  maxBackfillHours: 24 * 14,
  historyDays: 7,
  announceWithinMs: DAY_MS,
  rule: defaultRule,
};

/** Pure: the same hour on each of the past `days` days since the type first appeared, zero-filled. */
function sameHourHistory(
  input: Pick<AnomalyInput, "firstHour" | "past">,
  hour: number,
  days: number,
): number[] {
  const first = new Date(input.firstHour).getTime();
  const byHour = new Map(input.past.map(([h, n]) => [new Date(h).getTime(), Number(n)]));
  const history: number[] = [];
  for (let d = 1; d <= days; d++) {
    const h = hour - d * DAY_MS;
    if (h < first) break;
    history.push(byHour.get(h) ?? 0);
  }
  return history;
}

/** Pure: the `metrics.anomaly` events for one rolled-up hour. */
export function anomalyEvents(
  inputs: AnomalyInput[],
  hour: number,
  days: number,
  rule: AnomalyRule,
): NewEvent[] {
  const iso = new Date(hour).toISOString();
  const out: NewEvent[] = [];
  for (const input of inputs) {
    const history = sameHourHistory(input, hour, days);
    const verdict = judge(Number(input.value), history, rule);
    if (!verdict?.anomaly) continue;
    out.push({
      tenant: input.tenant,
      type: "metrics.anomaly",
      entity: { type: "metric", id: `${input.tenant}:${input.type}` },
      dedupKey: `metrics.anomaly:${input.type}:${iso}`,
      data: { metric: "events_per_hour", eventType: input.type, hour: iso, history, ...verdict },
      metadata: { source: "rollups" },
    });
  }
  return out;
}

export interface RollupRound {
  hours: number;
  anomalies: number;
  through: string | null;
}

/** One round: rolls up every complete hour not yet stored, oldest first, one transaction per hour. */
export async function rollUp(
  ctx: AppContext,
  opts: RollupOptions = defaultRollupOptions,
): Promise<RollupRound> {
  const now = ctx.clock.now();
  const target = hourFloor(now - opts.graceMs);
  let through = (await rollupsThrough(ctx.sql))?.getTime() ??
    (await firstEventHour(ctx.sql))?.getTime() ?? target;
  through = Math.max(through, target - opts.maxBackfillHours * HOUR_MS);
  let hours = 0;
  let anomalies = 0;
  while (through < target && hours < opts.maxHoursPerRound) {
    const hour = through;
    const done = await ctx.sql.begin(async (tx) => {
      const sql = tx;
      const [lock] = await sql<
        { ok: boolean }[]
      >`select pg_try_advisory_xact_lock(hashtext('switchyard.rollups')) as ok`;
      if (!lock.ok) return null;
      await storeRollups(sql, new Date(hour), new Date(hour + HOUR_MS));
      let events: NewEvent[] = [];
      if (now - hour <= opts.announceWithinMs) {
        events = anomalyEvents(
          await anomalyInputs(sql, new Date(hour), opts.historyDays),
          hour,
          opts.historyDays,
          opts.rule,
        );
        await appendEvents(sql, events);
      }
      await setRollupsThrough(sql, new Date(hour + HOUR_MS));
      return events.length;
    });
    if (done === null) break;
    anomalies += done;
    hours++;
    through = hour + HOUR_MS;
  }
  if (hours) {
    ctx.log.info("rolled up", { hours, anomalies, through: new Date(through).toISOString() });
  }
  return { hours, anomalies, through: new Date(through).toISOString() };
}

/** Milliseconds until the next hour (plus grace) is complete. */
export function untilNextHour(now: number, graceMs = defaultRollupOptions.graceMs): number {
  return hourFloor(now - graceMs) + HOUR_MS + graceMs - now;
}
