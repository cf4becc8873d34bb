/**
 * Runs a DTO type's source query: the DTO computed straight from operational tables, with the
 * versions of its source entities read in the same statement (one snapshot), so the versions
 * say exactly which changes the data already holds.
 */
import type { Queryable } from "../db.ts";
import type { AnyDtoDefinition, Applied, DtoData } from "./types.ts";

export interface Sourced {
  data: DtoData | null;
  applied: Applied;
}

export interface SourceAnswer {
  /** Keys the source does not have are absent. */
  byKey: Map<string, Sourced>;
  /** Current versions of `extraRefs` (entities the stored DTOs held), from the same snapshot. */
  extra: Applied;
}

export async function runSource(
  sql: Queryable,
  def: AnyDtoDefinition,
  tenant: string,
  keys: string[],
  extraRefs: string[] = [],
): Promise<SourceAnswer> {
  if (keys.length === 0) return { byKey: new Map(), extra: {} };
  const rows = await sql<
    { key: string | null; rows: unknown; applied: Applied | null; extra: Applied }[]
  >`
    with src as (${def.sourceQuery(sql, tenant, keys)}),
    ext as (
      select coalesce(jsonb_object_agg(r.ref, v.version), '{}'::jsonb) as applied
      from unnest(${extraRefs}::text[]) as r(ref)
      join switchyard.entity_versions v on v.tenant = ${tenant}
        and v.entity_type = split_part(r.ref, ':', 1) and v.entity_id = substr(r.ref, strpos(r.ref, ':') + 1))
    select src.key, src.rows, (
      select coalesce(jsonb_object_agg(r.ref, v.version), '{}'::jsonb)
      from unnest(src.refs) as r(ref)
      join switchyard.entity_versions v on v.tenant = ${tenant}
        and v.entity_type = split_part(r.ref, ':', 1) and v.entity_id = substr(r.ref, strpos(r.ref, ':') + 1)
    ) as applied, ext.applied as extra
    from ext left join src on true`;
  const byKey = new Map<string, Sourced>();
  for (const r of rows) {
    if (r.key !== null) {
      byKey.set(r.key, { data: def.fromSource(r.rows, r.key), applied: r.applied ?? {} });
    }
  }
  return { byKey, extra: rows[0]?.extra ?? {} };
}
