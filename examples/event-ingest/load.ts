/**
 * `npm start -- --example event-ingest`: tenant `ingest`, a short burst of five services' log
 * events through `/api/events` (the same run id each time, so a second start only gets
 * duplicates back), and events from 45 days ago for retention to remove. Prints what to try.
 */
import type { Logger } from "../../functions/_shared/log.ts";
import { createSql } from "../../functions/_shared/db.ts";
import { type ExampleEnv, exampleTenant } from "../_shared/tenant.ts";
import { generateLoad } from "./load-generator.ts";
import { seedOldEvents } from "./old-events.ts";

export const TENANT = "ingest";

export async function load({ env, log }: { env: ExampleEnv; log: Logger }): Promise<void> {
  const tenant = await exampleTenant(env, TENANT, "Example event ingest");
  const sample = await generateLoad({
    base: tenant.base,
    key: tenant.key,
    rate: 2_000,
    seconds: 2,
    clients: 4,
    runId: "sample",
  });
  const sql = createSql(env.DATABASE_URL!, { max: 1 });
  try {
    await seedOldEvents(sql, TENANT, { count: 500, daysAgo: 45 });
  } finally {
    await sql.end();
  }
  log.info("event-ingest example loaded", {
    tenant: TENANT,
    accepted: sample.accepted,
    duplicates: sample.duplicates,
  });
  const auth = `-H "Authorization: Bearer $KEY"`;
  const since = new Date(Date.now() - 3_600_000).toISOString().slice(0, 13) + ":00:00Z";
  console.log(`
Example "event-ingest": tenant ${TENANT}, services search, checkout, auth, payments, inventory (see examples/event-ingest/README.md)

  KEY=$(cat ${tenant.keyFile})
  curl -s "${tenant.base}/api/events?type=payments.*&from=${since}&limit=5" ${auth}
  curl -s ${tenant.base}/api/metrics ${auth}        # byType: per service; topTypes: top services
  npx deno run -A examples/event-ingest/load-generator.ts --rate 5000 --seconds 10   # more load
  psql "${env.DATABASE_URL}" -c "select switchyard.prune_events(now() - interval '30 days')"   # retention
  npm run bench -- ingest-soak                      # 5,000 events/s for 60 s, counted against the database
`);
}
