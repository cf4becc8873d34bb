/**
 * Alerts as events: each round the conditions are measured, and a condition that starts firing
 * emits `alert.<kind>` once; when it stops, `alert.resolved`. Open episodes live in
 * switchyard.alert_state, so restarts and several schedulers do not repeat an alert.
 */
import type { AppContext } from "../context.ts";
import { appendEvents, type NewEvent } from "../events/append.ts";
import {
  activeTenants,
  deliveryWindow,
  endpointBreakers,
  type HealthFigures,
  healthFigures,
  type OpenAlert,
  openAlerts,
  sampleRelayLag,
} from "./queries.ts";
import { hourFloor } from "./tenant.ts";
import { progressFigures, type Stalls, stalls } from "./progress.ts";

export type AlertKind =
  | "relay_lag"
  | "delivery_error_rate"
  | "dead_letters"
  | "breaker_open"
  | "conciliation_exhausted"
  | "relay_stalled"
  | "deliveries_stalled";

export interface Condition {
  kind: AlertKind;
  /** null: the whole system, announced to every active tenant. */
  tenant: string | null;
  subject: string;
  firing: boolean;
  value: number;
  threshold: number;
  detail?: Record<string, unknown>;
}

export interface AlertThresholds {
  relayLagMs: number;
  errorRate: number;
  /** Fewer attempts than this in the window are too few to judge an error rate. */
  minAttempts: number;
  windowMs: number;
}

const defaultThresholds: AlertThresholds = {
  relayLagMs: 30_000,
  errorRate: 0.01,
  minAttempts: 10,
  windowMs: 15 * 60_000,
};

export const alertKey = (c: Pick<Condition, "kind" | "tenant" | "subject">) =>
  `${c.kind}|${c.tenant ?? "*"}|${c.subject}`;

/** Pure: what the measurements say, one condition per subject. */
export function measure(
  health: HealthFigures,
  window: { tenant: string; attempts: number; failed: number; dead: number }[],
  breakers: { name: string; state: string; tenant?: string | null }[],
  t: AlertThresholds = defaultThresholds,
  stall?: Stalls,
): Condition[] {
  const out: Condition[] = [];
  if (stall) {
    const { relay, deliveries } = stall;
    for (
      const [kind, subject, stalled, value, detail] of [
        ["relay_stalled", "relay:progress", relay.stalled, relay.oldestWaitingMs, {
          sinceProgressMs: relay.sinceProgressMs,
        }],
        ["deliveries_stalled", "deliveries:progress", deliveries.stalled, deliveries.oldestDueMs, {
          lastAttemptMs: deliveries.lastAttemptMs,
        }],
      ] as const
    ) {
      out.push({
        kind,
        tenant: null,
        subject,
        firing: stalled,
        value: value ?? 0,
        threshold: 0,
        detail,
      });
    }
  }
  const lag = health.relay?.lag_ms ?? null;
  if (lag !== null) {
    out.push({
      kind: "relay_lag",
      tenant: null,
      subject: "relay",
      firing: lag > t.relayLagMs,
      value: lag,
      threshold: t.relayLagMs,
      detail: { lagEvents: health.relay?.lag_events ?? null },
    });
  }
  for (const w of window) {
    const rate = w.attempts ? w.failed / w.attempts : 0;
    out.push({
      kind: "delivery_error_rate",
      tenant: w.tenant,
      subject: "deliveries",
      firing: w.attempts >= t.minAttempts && rate > t.errorRate,
      value: Math.round(rate * 10_000) / 10_000,
      threshold: t.errorRate,
      detail: { attempts: w.attempts, failed: w.failed, windowMs: t.windowMs },
    });
    out.push({
      kind: "dead_letters",
      tenant: w.tenant,
      subject: "dead_letters",
      firing: w.dead > 0,
      value: w.dead,
      threshold: 0,
      detail: { windowMs: t.windowMs },
    });
  }
  for (const b of breakers) {
    out.push({
      kind: "breaker_open",
      tenant: b.tenant ?? null,
      subject: `breaker:${b.name}`,
      firing: b.state !== "closed",
      value: b.state === "open" ? 2 : b.state === "half-open" ? 1 : 0,
      threshold: 0,
      detail: { breaker: b.name, state: b.state },
    });
  }
  const exhausted = health.conciliations?.exhausted;
  if (exhausted !== undefined) {
    out.push({
      kind: "conciliation_exhausted",
      tenant: null,
      subject: "conciliations",
      firing: exhausted > 0,
      value: exhausted,
      threshold: 0,
    });
  }
  return out;
}

/** Pure: conditions that start an episode, and open episodes whose condition no longer fires (or is gone). */
export function transitions(
  open: OpenAlert[],
  conditions: Condition[],
): { fire: Condition[]; resolve: OpenAlert[] } {
  const openKeys = new Set(open.map((o) => o.key));
  const firingKeys = new Set(conditions.filter((c) => c.firing).map(alertKey));
  return {
    fire: conditions.filter((c) => c.firing && !openKeys.has(alertKey(c))),
    resolve: open.filter((o) => !firingKeys.has(o.key)),
  };
}

/** Pure: the events for the transitions; system-wide ones go to every active tenant. */
export function alertEvents(
  fire: Condition[],
  resolve: OpenAlert[],
  tenants: string[],
  at: string,
): NewEvent[] {
  const targets = (tenant: string | null) => (tenant === null ? tenants : [tenant]);
  const out: NewEvent[] = [];
  for (const c of fire) {
    for (const tenant of targets(c.tenant)) {
      out.push({
        tenant,
        type: `alert.${c.kind}`,
        entity: { type: "system", id: c.subject },
        dedupKey: `alert:${alertKey(c)}:${at}`,
        data: {
          kind: c.kind,
          state: "firing",
          subject: c.subject,
          value: c.value,
          threshold: c.threshold,
          since: at,
          ...c.detail,
        },
        metadata: { source: "alerts" },
      });
    }
  }
  for (const o of resolve) {
    for (const tenant of targets(o.tenant)) {
      out.push({
        tenant,
        type: "alert.resolved",
        entity: { type: "system", id: o.subject },
        dedupKey: `alert.resolved:${o.key}:${at}`,
        data: { kind: o.kind, state: "resolved", subject: o.subject, resolvedAt: at },
        metadata: { source: "alerts" },
      });
    }
  }
  return out;
}

export interface AlertRound {
  fired: string[];
  resolved: string[];
  events: number;
}

/** One round: sample relay lag and progress, measure, and emit what changed, in one transaction. */
export async function evaluateAlerts(
  ctx: AppContext,
  t: AlertThresholds = defaultThresholds,
): Promise<AlertRound> {
  const now = ctx.clock.now();
  const health = await healthFigures(ctx.sql);
  if (health.relay?.lag_ms != null) {
    await sampleRelayLag(
      ctx.sql,
      new Date(hourFloor(now)),
      health.relay.lag_ms,
      health.relay.lag_events ?? 0,
    );
  }
  const window = await deliveryWindow(ctx.sql, new Date(now - t.windowMs), new Date(now));
  const breakers = [
    { name: ctx.breakers.db.name, state: ctx.breakers.db.state },
    { name: ctx.breakers.store.name, state: ctx.breakers.store.state },
    ...await endpointBreakers(ctx.sql),
  ];
  const stall = stalls(
    await progressFigures(ctx.sql),
    health.relay?.active === true,
    ctx.config.SWITCHYARD_STALL_MS,
  );
  const conditions = measure(health, window, breakers, t, stall);
  return await ctx.sql.begin(async (tx) => {
    const sql = tx;
    const [lock] = await sql<
      { ok: boolean }[]
    >`select pg_try_advisory_xact_lock(hashtext('switchyard.alerts')) as ok`;
    if (!lock.ok) return { fired: [], resolved: [], events: 0 };
    const { fire, resolve } = transitions(await openAlerts(sql), conditions);
    if (!fire.length && !resolve.length) return { fired: [], resolved: [], events: 0 };
    const at = new Date(now).toISOString();
    const tenants = (await activeTenants(sql)).map((r) => r.slug);
    const events = alertEvents(fire, resolve, tenants, at);
    await appendEvents(sql, events);
    if (fire.length) {
      await sql`insert into switchyard.alert_state ${
        sql(fire.map((c) => ({
          key: alertKey(c),
          kind: c.kind,
          tenant: c.tenant,
          subject: c.subject,
          opened_at: at,
          value: c.value,
          detail: sql.json((c.detail ?? {}) as never),
        })))
      } on conflict (key) do nothing`;
    }
    if (resolve.length) {
      await sql`delete from switchyard.alert_state where key = any(${resolve.map((o) => o.key)})`;
    }
    if (fire.length) ctx.log.warn("alerts fired", { alerts: fire.map(alertKey) });
    return {
      fired: fire.map(alertKey),
      resolved: resolve.map((o) => o.key),
      events: events.length,
    };
  });
}
