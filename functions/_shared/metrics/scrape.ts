/** What `GET /api/metrics/prometheus` exposes, gathered in three queries and cached briefly. */
import type { AppContext } from "../context.ts";
import { viaDatabase } from "../db.ts";
import { counters, endpointBreakers, healthFigures, latencyBuckets } from "./queries.ts";
import { breakerValue, type Family, histogramSamples, render } from "./prometheus.ts";

const LATENCY_BOUNDS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CACHE_KEY = "switchyard:metrics:prometheus";
const CACHE_TTL_MS = 10_000;

async function collectFamilies(ctx: AppContext): Promise<Family[]> {
  const now = new Date(ctx.clock.now());
  const [rows, buckets, health, more] = await viaDatabase(ctx, () =>
    Promise.all([
      counters(ctx.sql, now),
      latencyBuckets(ctx.sql, LATENCY_BOUNDS_S.map((s) => s * 1000)),
      healthFigures(ctx.sql),
      endpointBreakers(ctx.sql),
    ]));
  const perType = rows.filter((r) => r.type !== "*");
  const perTenant = rows.filter((r) => r.type === "*");
  const byTenant = new Map<string, { counts: number[]; sum: number }>();
  for (const b of buckets) {
    const h = byTenant.get(b.tenant) ?? { counts: LATENCY_BOUNDS_S.map(() => 0).concat(0), sum: 0 };
    h.counts[b.bucket] += b.n;
    h.sum += b.sumMs / 1000;
    byTenant.set(b.tenant, h);
  }
  const breakers = [ctx.breakers.db, ctx.breakers.store].map((
    b,
  ): { name: string; state: string } => ({ name: b.name, state: b.state })).concat(
    more.map((b) => ({ name: b.name, state: b.state })),
  );
  return [
    {
      name: "switchyard_events_total",
      type: "counter",
      help: "Events appended to the log, per tenant and type.",
      samples: perType.map((r) => ({
        labels: { tenant: r.tenant, type: r.type },
        value: r.events,
      })),
    },
    {
      name: "switchyard_relay_lag_seconds",
      type: "gauge",
      help: "Age of the oldest event the relay has not handed over.",
      samples: [{ value: (health.relay?.lag_ms ?? 0) / 1000 }],
    },
    {
      name: "switchyard_relay_lag_events",
      type: "gauge",
      help: "Events the relay has not handed over yet.",
      samples: [{ value: health.relay?.lag_events ?? 0 }],
    },
    {
      name: "switchyard_deliveries_total",
      type: "counter",
      help: "Delivery attempts by outcome (delivered, failed) and dead letters.",
      samples: perTenant.flatMap((r) => [
        { labels: { tenant: r.tenant, outcome: "delivered" }, value: r.attemptsOk },
        { labels: { tenant: r.tenant, outcome: "failed" }, value: r.attempts - r.attemptsOk },
        { labels: { tenant: r.tenant, outcome: "dead" }, value: r.dead },
      ]),
    },
    {
      name: "switchyard_deliveries_due",
      type: "gauge",
      help: "Deliveries waiting to be sent.",
      samples: [{ value: health.deliveries?.due ?? 0 }],
    },
    {
      name: "switchyard_deliveries_in_flight",
      type: "gauge",
      help: "Deliveries claimed and being sent.",
      samples: [{ value: health.deliveries?.inFlight ?? 0 }],
    },
    {
      name: "switchyard_deliveries_held",
      type: "gauge",
      help: "Deliveries waiting at disabled endpoints.",
      samples: [{ value: health.deliveries?.held ?? 0 }],
    },
    {
      name: "switchyard_delivery_latency_seconds",
      type: "histogram",
      help: "Delivery attempt latency.",
      samples: [...byTenant].flatMap(([tenant, h]) =>
        histogramSamples({ tenant }, LATENCY_BOUNDS_S, h.counts, h.sum)
      ),
    },
    {
      name: "switchyard_circuit_breaker_state",
      type: "gauge",
      help: "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
      samples: breakers.map((b) => ({ labels: { breaker: b.name }, value: breakerValue(b.state) })),
    },
  ];
}

export async function prometheusText(ctx: AppContext): Promise<string> {
  const hit = await ctx.store.get<string>(CACHE_KEY).catch(() => null);
  if (hit) return hit;
  const text = render(await collectFamilies(ctx));
  await ctx.store.set(CACHE_KEY, text, { ttlMs: CACHE_TTL_MS }).catch(() => {});
  return text;
}
