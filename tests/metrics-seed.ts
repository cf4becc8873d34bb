/** Builds event histories with chosen recorded_at times, straight in SQL (the append path stamps now()). */
import type { Sql } from "../functions/_shared/db.ts";

export interface Burst {
  tenant: string;
  type: string;
  entityType?: string;
  at: Date;
  count: number;
}

export async function seedBursts(sql: Sql, bursts: Burst[]): Promise<void> {
  const rows = bursts.filter((b) => b.count > 0).map((b) => ({
    tenant: b.tenant,
    type: b.type,
    entity_type: b.entityType ?? b.type.split(".")[0],
    at: b.at.toISOString(),
    n: b.count,
  }));
  for (let i = 0; i < rows.length; i += 500) {
    await sql`
      insert into switchyard.events (tenant, type, entity_type, entity_id, version, occurred_at, recorded_at)
      select b.tenant, b.type, b.entity_type, 'e-' || gen_random_uuid(), 1, b.at, b.at + (g * interval '1 ms')
      from jsonb_to_recordset(${
      sql.json(rows.slice(i, i + 500) as never)
    }) as b(tenant text, type text, entity_type text, at timestamptz, n int),
        generate_series(1, b.n) g`;
  }
}

/** A fake clock fixed at `at`. */
export function fixedClock(at: Date) {
  let now = at.getTime();
  return { now: () => now, sleep: () => Promise.resolve(), set: (d: Date) => (now = d.getTime()) };
}
