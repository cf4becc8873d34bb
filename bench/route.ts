/**
 * `npm run bench -- route`: routing cost per event as tenants grow. 1 tenant × 1 endpoint against
 * 1,000 tenants × 10 endpoints (endpoint j of a tenant subscribes to `order.t<j>`, so an event
 * still matches one endpoint: the same deliveries either way). Batches of 500 events routed as the
 * pipeline does (`routeEvents` in the hand-over transaction, rolled back so every round routes
 * afresh); the two setups alternate, round by round, for BENCH_SECONDS (10) each.
 */
import { testDatabase } from "../tests/harness.ts";
import { createTenant } from "../functions/_shared/tenants.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";
import {
  envelopeSelect,
  type EventRow,
  type LoggedEvent,
  rowToEvent,
} from "../functions/_shared/events/envelope.ts";
import { routeEvents } from "../functions/_shared/delivery/route.ts";
import { benchSeconds, type Figure, report, summarize } from "./stats.ts";

const SECONDS = benchSeconds(10);
const BATCH = 500;
const db = await testDatabase();
const rows: Record<string, string | number>[] = [];

class Rollback extends Error {}

/** Tenants with endpoints subscribed to `order.t0` … `order.t<n-1>`, straight in SQL. */
async function seed(prefix: string, tenants: number, endpoints: number) {
  const slugs = Array.from({ length: tenants }, (_, i) => `${prefix}-${i}`);
  for (const slug of slugs) await createTenant(db.sql, slug, slug);
  await db.sql`
    with ep as (
      insert into switchyard.endpoints (tenant, kind, url, secret)
      select t, 'webhook', 'http://127.0.0.1:9/' || t || '/' || j, 'v1.bench'
      from unnest(${slugs}::text[]) as t, generate_series(0, ${endpoints - 1}) as j
      returning id, tenant, url
    )
    insert into switchyard.subscriptions (tenant, endpoint_id, pattern)
    select tenant, id, 'order.t' || split_part(url, '/', 5) from ep`;
  return slugs;
}

/** `BATCH * 4` events spread over the tenants, each of a type one endpoint of its tenant takes. */
async function events(slugs: string[], endpoints: number): Promise<LoggedEvent[][]> {
  const accepted = await appendEvents(
    db.sql,
    Array.from({ length: BATCH * 4 }, (_, i) => ({
      tenant: slugs[Math.floor(Math.random() * slugs.length)],
      type: `order.t${i % endpoints}`,
      entity: { type: "order", id: `o-${i}` },
      data: { total: i },
    })),
  );
  const logged =
    (await db.sql<EventRow[]>`select ${db.sql.unsafe(envelopeSelect)} from switchyard.events e
    where e.id = any(${accepted.map((a) => a.id)}::text[]) order by e.seq`).map(rowToEvent);
  return Array.from({ length: 4 }, (_, i) => logged.slice(i * BATCH, (i + 1) * BATCH));
}

try {
  const setups = [
    { label: "1 tenant × 1 endpoint", batches: await events(await seed("one", 1, 1), 1) },
    {
      label: "1,000 tenants × 10 endpoints",
      batches: await events(await seed("many", 1_000, 10), 10),
    },
  ];
  await db.sql`analyze`;
  const perEvent = setups.map(() => [] as number[]);
  const routed = setups.map(() => 0);
  const until = performance.now() + SECONDS * 1000 * setups.length;
  for (let round = 0; performance.now() < until || round < 4; round++) {
    for (const [i, setup] of setups.entries()) {
      const batch = setup.batches[round % setup.batches.length];
      await db.sql.begin(async (tx) => {
        const t = performance.now();
        routed[i] = await routeEvents(tx, batch);
        // Warm-up rounds do not count.
        if (round >= 2) perEvent[i].push((performance.now() - t) * 1000 / batch.length);
        throw new Rollback();
      }).catch((e) => {
        if (!(e instanceof Rollback)) throw e;
      });
    }
  }
  const stats = perEvent.map((s) => summarize(s));
  for (const [i, setup] of setups.entries()) {
    rows.push({
      setup: setup.label,
      rounds: stats[i].n,
      "deliveries/batch": routed[i],
      "µs/event p50": stats[i].p50,
      "µs/event p95": stats[i].p95,
    });
  }
  const ratio = stats[1].p50 / stats[0].p50;
  const figures: Figure[] = [{
    what: "route cost per event, 1,000 tenants × 10 endpoints",
    value: stats[1].p50,
    unit: "µs/event",
    beside: { what: "1 tenant × 1 endpoint", value: stats[0].p50 },
    ratio,
    target: "<= 2×",
    met: ratio <= 2,
  }];
  console.log(`\nroute: batches of ${BATCH}, routed in a transaction and rolled back`);
  await report("route", rows, { batch: BATCH, seconds: SECONDS, figures });
} finally {
  await db.drop();
}
