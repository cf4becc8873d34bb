/**
 * The hourly KPIs' raw material: eight days of shipment events with `recorded_at` in the past
 * (written straight to the log, since the append path stamps now()), with one hour in which
 * customs holds jump from a handful to dozens. Then that history is rolled up and judged.
 */
import type { Sql } from "../../functions/_shared/db.ts";
import { appendEvents } from "../../functions/_shared/events/append.ts";
import { anomalyEvents, defaultRollupOptions } from "../../functions/_shared/metrics/rollups.ts";
import { anomalyInputs, storeRollups } from "../../functions/_shared/metrics/queries.ts";
import { HOUR_MS, hourFloor } from "../../functions/_shared/metrics/tenant.ts";

const HISTORY_DAYS = 8;
export const SPIKE_TYPE = "shipment.customs_held";
/** Customs holds in the spike hour; every other hour has 2 to 4. */
export const SPIKE_COUNT = 60;

/** The spike is two hours before `now`'s hour: complete, and recent enough to be announced. */
export function spikeHour(now: number): number {
  return hourFloor(now) - 2 * HOUR_MS;
}

/** Hourly counts per type over the history; the same figures on every run. */
function perHour(hourIndex: number, isSpike: boolean) {
  return [
    { type: "shipment.picked_up", n: 20 + (hourIndex * 7) % 6 },
    { type: "shipment.delivered", n: 18 + (hourIndex * 5) % 5 },
    { type: SPIKE_TYPE, n: isSpike ? SPIKE_COUNT : 2 + hourIndex % 3 },
  ];
}

/** Writes the history for the HISTORY_DAYS days before `now`'s hour, unless the tenant has it already. */
export async function seedHistory(
  sql: Sql,
  tenant: string,
  now: number,
): Promise<{ from: number; to: number; seeded: boolean }> {
  const to = hourFloor(now);
  const from = to - HISTORY_DAYS * 24 * HOUR_MS;
  const [{ has }] = await sql<{ has: boolean }[]>`
    select exists (select from switchyard.events where tenant = ${tenant} and metadata->>'source' = 'history') as has`;
  if (has) return { from, to, seeded: false };
  const spike = spikeHour(now);
  const rows = [];
  for (let h = from, i = 0; h < to; h += HOUR_MS, i++) {
    for (const { type, n } of perHour(i, h === spike)) {
      rows.push({ type, hour: new Date(h).toISOString(), n });
    }
  }
  await sql`
    insert into switchyard.events (tenant, type, entity_type, entity_id, version, occurred_at, recorded_at, metadata)
    select ${tenant}, r.type, 'shipment', 'hist-' || gen_random_uuid(), 1, t.at, t.at, '{"source": "history"}'
    from jsonb_to_recordset(${
    JSON.stringify(rows)
  }::text::jsonb) as r(type text, hour timestamptz, n int)
      cross join lateral (select r.hour + (g * interval '59 seconds') as at from generate_series(1, r.n) g) t`;
  return { from, to, seeded: true };
}

/**
 * Rolls up [from, to) from the raw log, also hours the scheduler already passed before the
 * history existed, and judges the last day's hours of `tenant`. Anomaly events carry a dedup
 * key, so a second run appends nothing.
 */
export async function rollUpHistory(
  sql: Sql,
  tenant: string,
  from: number,
  to: number,
): Promise<number> {
  await storeRollups(sql, new Date(from), new Date(to));
  const { historyDays, rule } = defaultRollupOptions;
  let appended = 0;
  for (let h = Math.max(from, to - 24 * HOUR_MS); h < to; h += HOUR_MS) {
    const inputs = (await anomalyInputs(sql, new Date(h), historyDays)).filter((i) =>
      i.tenant === tenant
    );
    const fresh = await appendEvents(sql, anomalyEvents(inputs, h, historyDays, rule));
    appended += fresh.filter((a) => !a.duplicate).length;
  }
  return appended;
}
