/**
 * Tells real gaps from harmless jumps. An entity's versions also count events a DTO does not read
 * (e.g. `dto.updated` on the customer's own timeline), so a jump is a gap only when a skipped
 * version is an event the DTO needs, or is missing from the log altogether.
 */
import type { Queryable } from "../db.ts";
import type { Jump } from "./coalesce.ts";

export interface JumpCheck extends Jump {
  tenant: string;
  /** SQL `like` patterns of the event types the DTO reads. */
  patterns: string[];
}

/** Indexes (into `checks`) of the jumps that are real gaps; one query for the whole batch. */
export async function realGaps(sql: Queryable, checks: JumpCheck[]): Promise<Set<number>> {
  if (checks.length === 0) return new Set();
  const input = checks.map((c, idx) => {
    const colon = c.ref.indexOf(":");
    return {
      idx,
      tenant: c.tenant,
      entity_type: c.ref.slice(0, colon),
      entity_id: c.ref.slice(colon + 1),
      after: c.after,
      before: c.before,
      patterns: c.patterns,
    };
  });
  const rows = await sql<{ idx: number; gap: boolean }[]>`
    select q.idx,
      count(e.version) filter (where e.type like any(q.patterns)) > 0
        or count(e.version) < q.before - q.after - 1 as gap
    from jsonb_to_recordset(${
    JSON.stringify(input)
  }::text::jsonb) as q(idx int, tenant text, entity_type text,
      entity_id text, after int, before int, patterns text[])
    left join switchyard.events e on e.tenant = q.tenant and e.entity_type = q.entity_type
      and e.entity_id = q.entity_id and e.version > q.after and e.version < q.before
    group by q.idx, q.after, q.before`;
  return new Set(rows.filter((r) => r.gap).map((r) => r.idx));
}
