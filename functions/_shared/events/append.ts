/**
 * The event generator: the one place in TypeScript that appends events (ingest and Switchyard's
 * own events such as `dto.updated` or `delivery.dead`). It calls `switchyard.append_events`, the
 * same SQL path capture triggers and `switchyard.emit` use, with one statement per batch.
 */
import type { Sql } from "../db.ts";
import { AppError } from "../errors.ts";

export interface NewEvent {
  tenant: string;
  type: string;
  entity: { type: string; id: string };
  timestamp?: string;
  dedupKey?: string | null;
  expectedVersion?: number | null;
  correlationId?: string | null;
  causationId?: string | null;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface Appended {
  id: string;
  version: number;
  duplicate: boolean;
}

type Queryable = Pick<Sql, "unsafe">;

/** Appends in one statement; answers in input order. A wrong expectedVersion fails the whole batch (409). */
export async function appendEvents(sql: Queryable, events: NewEvent[]): Promise<Appended[]> {
  if (events.length === 0) return [];
  const batch = events.map((e) => ({
    tenant: e.tenant,
    type: e.type,
    entity_type: e.entity.type,
    entity_id: e.entity.id,
    occurred_at: e.timestamp ?? null,
    dedup_key: e.dedupKey ?? null,
    expected_version: e.expectedVersion ?? null,
    correlation_id: e.correlationId ?? null,
    causation_id: e.causationId ?? null,
    data: e.data ?? {},
    metadata: e.metadata ?? {},
  }));
  try {
    const rows = await sql.unsafe<{ id: string; version: number; duplicate: boolean }[]>(
      "select id, version, duplicate from switchyard.append_events($1::text::jsonb)",
      [JSON.stringify(batch)],
    );
    return rows.map((r) => ({ id: r.id, version: r.version, duplicate: r.duplicate }));
  } catch (err) {
    const e = err as { code?: string; message?: string; detail?: string };
    if (e.code === "SY409") {
      let detail: Record<string, unknown> = {};
      try {
        detail = JSON.parse(e.detail ?? "{}");
      } catch { /* keep empty */ }
      throw new AppError("version_conflict", e.message ?? "version conflict", [{
        message: e.message ?? "",
        ...detail,
      }]);
    }
    throw err;
  }
}
