/** Log events from long ago, written straight to the log (the append path stamps now()), for retention to remove. */
import type { Sql } from "../../functions/_shared/db.ts";

const DAY_MS = 86_400_000;

/** `count` `<service>.log` events recorded `daysAgo` days ago, unless that service has old events already. */
export async function seedOldEvents(
  sql: Sql,
  tenant: string,
  opts: { count: number; daysAgo: number; service?: string },
): Promise<number> {
  const service = opts.service ?? "legacy";
  const at = new Date(Date.now() - opts.daysAgo * DAY_MS);
  const rows = await sql`
    insert into switchyard.events (tenant, type, entity_type, entity_id, version, occurred_at, recorded_at, data, metadata)
    select ${tenant}, ${`${service}.log`}, 'request', 'old-' || gen_random_uuid(), 1, ${at}, ${at},
      jsonb_build_object('level', 'info', 'message', 'from before the retention window'), jsonb_build_object('service', ${service}::text)
    from generate_series(1, ${opts.count})
    where not exists (select from switchyard.events where tenant = ${tenant} and type = ${`${service}.log`} and recorded_at < now() - interval '1 day')
    returning 1`;
  return rows.length;
}
