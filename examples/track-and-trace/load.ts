/**
 * `npm start -- --example track-and-trace`: tenant `logistics`, two shipments reported by a
 * warehouse, a carrier and customs, eight days of KPI history with a spike of customs holds,
 * rolled up and judged. Prints what to try.
 */
import type { Logger } from "../../functions/_shared/log.ts";
import { createSql } from "../../functions/_shared/db.ts";
import { type ExampleEnv, exampleTenant } from "../_shared/tenant.ts";
import { postSteps } from "./scenario.ts";
import { rollUpHistory, seedHistory, SPIKE_TYPE } from "./kpis.ts";

export const TENANT = "logistics";

export async function load({ env, log }: { env: ExampleEnv; log: Logger }): Promise<void> {
  const tenant = await exampleTenant(env, TENANT, "Example logistics");
  const accepted = await postSteps(tenant.base, tenant.key);
  const sql = createSql(env.DATABASE_URL!, { max: 1 });
  let anomalies = 0;
  try {
    const { from, to } = await seedHistory(sql, TENANT, Date.now());
    anomalies = await rollUpHistory(sql, TENANT, from, to);
  } finally {
    await sql.end();
  }
  log.info("track-and-trace example loaded", {
    tenant: TENANT,
    posted: accepted.length,
    duplicates: accepted.filter((a) => a.duplicate).length,
    anomalies,
  });
  const auth = `-H "Authorization: Bearer $KEY"`;
  console.log(`
Example "track-and-trace": tenant ${TENANT}, shipments shp-1001 and shp-1002 (see examples/track-and-trace/README.md)

  KEY=$(cat ${tenant.keyFile})
  curl -s ${tenant.base}/api/trace/shipment/shp-1001 ${auth}
  curl -s -X POST ${tenant.base}/api/events ${auth} -H 'Content-Type: application/json' \\
    -d '{"type":"shipment.in_transit","entity":{"type":"shipment","id":"shp-1001"},"dedupKey":"carrier:trk-5521-02","data":{"hub":"ZAZ"}}'
                                                      # a retried post: the original, "duplicate": true
  curl -s "${tenant.base}/api/events?type=shipment.customs_held&from=2026-11-23T00:00:00Z" ${auth}
  curl -s ${tenant.base}/api/metrics ${auth}           # hourly KPIs, ${SPIKE_TYPE} spike
  curl -s "${tenant.base}/api/events?type=metrics.anomaly" ${auth}
  npx switchyard events list --tenant ${TENANT} --entity shipment:shp-1002
`);
}
