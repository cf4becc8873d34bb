/**
 * The secondary store: `switchyard.dto_snapshots`, written under a per-key advisory lock with a
 * version that only moves forward. Every query here serves a whole batch in one round trip.
 */
import type { Queryable } from "../db.ts";
import { type Applied, type DtoData, type KeyRef, refId } from "./types.ts";

export interface Snapshot extends KeyRef {
  version: number;
  data: DtoData | null;
  applied: Applied;
  updatedAt: string;
}

export interface SnapshotWrite extends KeyRef {
  version: number;
  data: DtoData | null;
  applied: Applied;
  lastEventId: string | null;
}

const refsJson = (refs: KeyRef[]) =>
  JSON.stringify(refs.map((r) => ({ tenant: r.tenant, dto_type: r.type, key: r.key })));

/** Serializes composers, conciliators and rebuilds of the same keys until the transaction ends. */
export async function lockKeys(tx: Queryable, refs: KeyRef[]): Promise<void> {
  if (refs.length === 0) return;
  // Taken in one order everywhere, so two batches sharing keys cannot deadlock.
  await tx`
    select pg_advisory_xact_lock(k) from (
      select distinct hashtextextended('dto/' || r.tenant || '/' || r.dto_type || '/' || r.key, 0) as k
      from jsonb_to_recordset(${
    refsJson(refs)
  }::text::jsonb) as r(tenant text, dto_type text, key text)
      order by 1
    ) keys`;
}

interface SnapshotRow {
  tenant: string;
  dto_type: string;
  key: string;
  version: string | number;
  data: DtoData | null;
  applied: Applied;
  updated_at: Date;
}

const toSnapshot = (r: SnapshotRow): Snapshot => ({
  tenant: r.tenant,
  type: r.dto_type,
  key: r.key,
  version: Number(r.version),
  data: r.data,
  applied: r.applied ?? {},
  updatedAt: r.updated_at.toISOString(),
});

export async function readSnapshots(
  sql: Queryable,
  refs: KeyRef[],
): Promise<Map<string, Snapshot>> {
  if (refs.length === 0) return new Map();
  const rows = await sql<SnapshotRow[]>`
    select s.tenant, s.dto_type, s.key, s.version, s.data, s.applied, s.updated_at
    from jsonb_to_recordset(${
    refsJson(refs)
  }::text::jsonb) as r(tenant text, dto_type text, key text)
    join switchyard.dto_snapshots s on s.tenant = r.tenant and s.dto_type = r.dto_type and s.key = r.key`;
  return new Map(
    rows.map((r) => [refId({ tenant: r.tenant, type: r.dto_type, key: r.key }), toSnapshot(r)]),
  );
}

export async function readSnapshot(sql: Queryable, ref: KeyRef): Promise<Snapshot | null> {
  return (await readSnapshots(sql, [ref])).get(refId(ref)) ?? null;
}

/** Multi-row upsert; a row whose stored version is the same or newer is left alone. Returns what was written. */
export async function writeSnapshots(sql: Queryable, writes: SnapshotWrite[]): Promise<Snapshot[]> {
  if (writes.length === 0) return [];
  const rows = writes.map((w) => ({
    tenant: w.tenant,
    dto_type: w.type,
    key: w.key,
    version: w.version,
    data: w.data,
    applied: w.applied,
    last_event_id: w.lastEventId,
  }));
  const written = await sql<SnapshotRow[]>`
    insert into switchyard.dto_snapshots as s (tenant, dto_type, key, version, data, applied, last_event_id)
    select r.tenant, r.dto_type, r.key, r.version, r.data, coalesce(r.applied, '{}'), r.last_event_id
    from jsonb_to_recordset(${
    JSON.stringify(rows)
  }::text::jsonb) as r(tenant text, dto_type text, key text,
      version bigint, data jsonb, applied jsonb, last_event_id text)
    on conflict (tenant, dto_type, key) do update
      set version = excluded.version, data = excluded.data, applied = excluded.applied,
        last_event_id = excluded.last_event_id, updated_at = now()
      where excluded.version > s.version
    returning s.tenant, s.dto_type, s.key, s.version, s.data, s.applied, s.updated_at`;
  return written.map(toSnapshot);
}
