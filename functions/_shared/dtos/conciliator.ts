/**
 * The conciliator: repairs DTOs from their source query. `materialize` computes keys from the
 * source and writes both stores under the per-key lock; `conciliateNow` is the immediate retries
 * after a failed composition; `conciliateDue` runs the deferred retries the scheduler finds due.
 */
import type { AppContext } from "../context.ts";
import { appendEvents, type NewEvent } from "../events/append.ts";
import { mergeApplied, versionOf } from "./coalesce.ts";
import { claimDue, recordFailedAttempt, resolveConciliations } from "./conciliation-queue.ts";
import { dtoConciliated, dtoConciliationExhausted, dtoUpdated } from "./lifecycle-events.ts";
import { type ConciliationPolicy, defaultPolicy, nextAttemptDelay } from "./policy.ts";
import { writePrimary } from "./fast-store.ts";
import { lockKeys, readSnapshots, type SnapshotWrite, writeSnapshots } from "./persistent-store.ts";
import { runSource } from "./source.ts";
import { type AnyDtoDefinition, type Applied, type Dto, type KeyRef, refId } from "./types.ts";

export type Via = "conciliation" | "rebuild" | "read";

export interface Materialized {
  key: string;
  /** null when the source does not have it (any stored DTO becomes a tombstone). */
  dto: Dto | null;
  wrote: boolean;
}

const pick = (from: Applied, refs: string[]) =>
  Object.fromEntries(refs.filter((r) => r in from).map((r) => [r, from[r]]));

/**
 * Computes `keys` from the source and writes both stores in one transaction. The primary must
 * take the write too (else everything rolls back) except on the read path, where it is a cache fill.
 */
export function materialize(
  ctx: AppContext,
  def: AnyDtoDefinition,
  tenant: string,
  keys: string[],
  via: Via,
  tries = 1,
): Promise<Materialized[]> {
  return ctx.sql.begin(async (tx) => {
    const refs: KeyRef[] = keys.map((key) => ({ tenant, type: def.name, key }));
    await lockKeys(tx, refs);
    const stored = await readSnapshots(tx, refs);
    const heldRefs = [...new Set([...stored.values()].flatMap((s) => Object.keys(s.applied)))];
    const source = await runSource(tx, def, tenant, keys, heldRefs);
    const writes: SnapshotWrite[] = [];
    const plans = new Map<
      string,
      { version: number; data: Dto["data"] | null; updatedAt?: string }
    >();
    for (const ref of refs) {
      const s = stored.get(refId(ref));
      const fresh = source.byKey.get(ref.key);
      if (!s && !fresh) continue;
      const held = s ? mergeApplied(s.applied, pick(source.extra, Object.keys(s.applied))) : {};
      const applied = mergeApplied(held, fresh?.applied ?? {});
      const version = versionOf(applied);
      if (!s || version > s.version) {
        writes.push({ ...ref, version, data: fresh?.data ?? null, applied, lastEventId: null });
        plans.set(ref.key, { version, data: fresh?.data ?? null });
      } else {
        plans.set(ref.key, { version: s.version, data: s.data, updatedAt: s.updatedAt });
      }
    }
    const written = new Map((await writeSnapshots(tx, writes)).map((w) => [w.key, w]));
    const now = new Date(ctx.clock.now()).toISOString();
    const updatedAt = (key: string) =>
      written.get(key)?.updatedAt ?? plans.get(key)?.updatedAt ?? now;
    const results: Materialized[] = [...plans].map(([key, p]) => ({
      key,
      wrote: written.has(key),
      dto: p.data
        ? { type: def.name, key, version: p.version, updatedAt: updatedAt(key), data: p.data }
        : null,
    }));
    const outcomes = await writePrimary(
      ctx,
      [...plans].map(([key, p]) => ({
        tenant,
        type: def.name,
        key,
        version: p.version,
        value: { updatedAt: updatedAt(key), data: p.data },
      })),
    );
    const failed = outcomes.find((o): o is Error => o instanceof Error);
    if (failed && via !== "read") throw failed;

    const resolved = await resolveConciliations(tx, tenant, def.name, keys, tries);
    const events: NewEvent[] = [];
    for (const key of keys) {
      const subject = { tenant, def, key };
      const r = resolved.get(key);
      const version = plans.get(key)?.version ?? 0;
      if (r) events.push(dtoConciliated(subject, version, r.attempts, r.failedEventId));
      else if (written.has(key)) events.push(dtoUpdated(subject, version, null, 0, via));
    }
    await appendEvents(tx, events);
    return results;
  });
}

const message = (err: unknown) => String((err as Error)?.message ?? err);

async function recordFailure(
  ctx: AppContext,
  def: AnyDtoDefinition,
  ref: KeyRef,
  err: unknown,
  tries: number,
  policy: ConciliationPolicy,
): Promise<"pending" | "exhausted"> {
  const row = await recordFailedAttempt(ctx.sql, ref, message(err), tries, (attempts) => {
    const delay = nextAttemptDelay(attempts, policy);
    return delay === null ? null : new Date(ctx.clock.now() + delay);
  });
  if (row?.status !== "exhausted") return "pending";
  ctx.log.warn("dto conciliation exhausted", {
    tenant: ref.tenant,
    dtoType: ref.type,
    key: ref.key,
    attempts: row.attempts,
  });
  await appendEvents(ctx.sql, [
    dtoConciliationExhausted(
      { tenant: ref.tenant, def, key: ref.key },
      row.attempts,
      message(err),
      row.failedEventId,
    ),
  ]);
  return "exhausted";
}

/** The immediate retries: `policy.immediateAttempts` tries about a second apart at most; then deferred. */
export async function conciliateNow(
  ctx: AppContext,
  def: AnyDtoDefinition,
  tenant: string,
  key: string,
  policy: ConciliationPolicy = defaultPolicy,
): Promise<"conciliated" | "pending" | "exhausted"> {
  let lastError: unknown;
  for (let i = 0; i < policy.immediateAttempts; i++) {
    if (i > 0) {
      await ctx.clock.sleep(
        policy.immediateDelaysMs[i - 1] ?? policy.immediateDelaysMs.at(-1) ?? 0,
      );
    }
    try {
      await materialize(ctx, def, tenant, [key], "conciliation", i + 1);
      return "conciliated";
    } catch (err) {
      lastError = err;
    }
  }
  return await recordFailure(
    ctx,
    def,
    { tenant, type: def.name, key },
    lastError,
    policy.immediateAttempts,
    policy,
  );
}

export interface DueRound {
  conciliated: number;
  pending: number;
  exhausted: number;
}

/** One round of deferred retries: claims what is due by the clock and tries each once. */
export async function conciliateDue(
  ctx: AppContext,
  opts: { policy?: ConciliationPolicy; limit?: number; leaseMs?: number } = {},
): Promise<DueRound> {
  const policy = opts.policy ?? defaultPolicy;
  const due = await claimDue(
    ctx.sql,
    new Date(ctx.clock.now()),
    opts.leaseMs ?? 60_000,
    opts.limit ?? 50,
  );
  const round: DueRound = { conciliated: 0, pending: 0, exhausted: 0 };
  for (const ref of due) {
    const def = ctx.dtos.get(ref.type);
    try {
      if (!def) throw new Error(`unknown DTO type ${ref.type}`);
      await materialize(ctx, def, ref.tenant, [ref.key], "conciliation");
      round.conciliated++;
    } catch (err) {
      const fallback = { name: ref.type, entityType: "dto" } as AnyDtoDefinition;
      round[await recordFailure(ctx, def ?? fallback, ref, err, 1, policy)]++;
    }
  }
  return round;
}
