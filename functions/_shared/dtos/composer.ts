/**
 * The composer, which the pipeline calls after each hand-over: a batch's events grouped by
 * tenant × DTO type × key, one reduce pass and one write per key in each store, all under the
 * per-key lock in one transaction. Failures become `dto.failed` and a pending conciliation in that
 * same transaction, then get immediate retries.
 */
import type { AppContext } from "../context.ts";
import type { Queryable } from "../db.ts";
import { appendEvents, type NewEvent } from "../events/append.ts";
import type { LoggedEvent } from "../events/envelope.ts";
import {
  entityRef,
  fold,
  type Folded,
  groupByKey,
  groupRef,
  type KeyGroup,
  ReducerError,
  versionOf,
} from "./coalesce.ts";
import { CONCILIATIONS_CHANNEL, openConciliations } from "./conciliation-queue.ts";
import { conciliateNow } from "./conciliator.ts";
import { dtoFailed, dtoUpdated } from "./lifecycle-events.ts";
import { type JumpCheck, realGaps } from "./gaps.ts";
import { type ConciliationPolicy, defaultPolicy, deferredDelayMs } from "./policy.ts";
import { writePrimary } from "./fast-store.ts";
import { feeds, likePatterns } from "./registry.ts";
import { lockKeys, readSnapshots, type SnapshotWrite, writeSnapshots } from "./persistent-store.ts";
import { type FailureReason, type KeyLookup, refId } from "./types.ts";

export interface ComposeOptions {
  policy?: ConciliationPolicy;
}

export interface ComposeResult {
  /** Events that feed some DTO. */
  events: number;
  keys: number;
  /** Snapshot writes (one per changed key); the primary gets the same. */
  writes: number;
  failed: number;
  conciliated: number;
}

interface Failure {
  group: KeyGroup;
  reason: FailureReason;
  detail: string;
  cause: LoggedEvent | null;
}

const noLookup: KeyLookup = new Map();

/**
 * Composes the DTOs `events` feed. `coalesce: false` composes event by event (one write per
 * event); it exists to measure what coalescing saves, never for production.
 */
export async function composeDtos(
  ctx: AppContext,
  events: LoggedEvent[],
  opts: ComposeOptions & { coalesce?: boolean } = {},
): Promise<ComposeResult> {
  if (opts.coalesce !== false) return await composeBatch(ctx, events, opts);
  const total: ComposeResult = { events: 0, keys: 0, writes: 0, failed: 0, conciliated: 0 };
  for (const event of events) {
    const r = await composeBatch(ctx, [event], opts);
    for (const k of Object.keys(total) as (keyof ComposeResult)[]) total[k] += r[k];
  }
  return total;
}

async function composeBatch(
  ctx: AppContext,
  batch: LoggedEvent[],
  opts: ComposeOptions,
): Promise<ComposeResult> {
  const policy = opts.policy ?? defaultPolicy;
  const events = batch.filter((e) => [...ctx.dtos.values()].some((d) => feeds(d, e.type)));
  const result: ComposeResult = {
    events: events.length,
    keys: 0,
    writes: 0,
    failed: 0,
    conciliated: 0,
  };
  if (events.length === 0) return result;
  const groups = await keyGroups(ctx, events);
  result.keys = groups.length;
  if (groups.length === 0) return result;

  const failures: Failure[] = [];
  await ctx.sql.begin(async (tx) => {
    const folded = await foldGroups(tx, groups, failures);
    const { written, landed } = await writeStores(ctx, tx, folded, failures);
    result.writes = written;
    await appendLifecycle(ctx, tx, landed, failures, policy);
  });

  result.failed = failures.length;
  if (failures.length > 0) result.conciliated = await retryNow(ctx, failures, policy);
  return result;
}

/** The batch's events grouped by the DTO keys they affect; one key lookup per tenant × DTO type. */
async function keyGroups(ctx: AppContext, events: LoggedEvent[]): Promise<KeyGroup[]> {
  const work: Promise<[string, KeyLookup]>[] = [];
  for (const tenant of new Set(events.map((e) => e.tenant))) {
    for (const def of ctx.dtos.values()) {
      const mine = events.filter((e) => e.tenant === tenant && feeds(def, e.type));
      if (def.lookup && mine.length > 0) {
        work.push(def.lookup(ctx.sql, tenant, mine).then((l) => [`${tenant}\u0000${def.name}`, l]));
      }
    }
  }
  const lookups = new Map(await Promise.all(work));
  return groupByKey(
    events,
    ctx.dtos,
    (def, e) => def.keysOf(e, lookups.get(`${e.tenant}\u0000${def.name}`) ?? noLookup),
  );
}

/**
 * Under the per-key locks: each group folded onto its stored DTO. A reducer error or a real gap
 * in an entity's versions moves the group to `failures`.
 */
async function foldGroups(
  tx: Queryable,
  groups: KeyGroup[],
  failures: Failure[],
): Promise<Map<KeyGroup, Folded>> {
  const refs = groups.map(groupRef);
  await lockKeys(tx, refs);
  const stored = await readSnapshots(tx, refs);

  const folded = new Map<KeyGroup, Folded>();
  for (const [i, g] of groups.entries()) {
    const s = stored.get(refId(refs[i]));
    try {
      folded.set(g, fold(g.def, g.key, s?.data ?? null, s?.applied ?? {}, g.events));
    } catch (err) {
      if (!(err instanceof ReducerError)) throw err;
      failures.push({ group: g, reason: "reducer_error", detail: err.message, cause: err.event });
    }
  }

  const checks: (JumpCheck & { group: KeyGroup })[] = [...folded].flatMap(([g, f]) =>
    f.jumps.map((j) => ({ ...j, tenant: g.tenant, patterns: likePatterns(g.def), group: g }))
  );
  for (const idx of await realGaps(tx, checks)) {
    const { group, ref, after, before } = checks[idx];
    if (!folded.delete(group)) continue;
    const cause = group.events.find((e) => entityRef(e) === ref && e.version === before) ?? null;
    failures.push({
      group,
      reason: "gap",
      detail: `${ref} jumped from version ${after} to ${before}`,
      cause,
    });
  }
  return folded;
}

interface Landed {
  group: KeyGroup;
  folded: Folded;
}

/**
 * Writes the changed DTOs to the persistent store (stale versions are skipped there), then the
 * same to the fast store; a fast-store failure moves the group to `failures`. Returns how many
 * persistent writes there were, and the groups that landed in both stores.
 */
async function writeStores(
  ctx: AppContext,
  tx: Queryable,
  folded: Map<KeyGroup, Folded>,
  failures: Failure[],
): Promise<{ written: number; landed: Landed[] }> {
  const changed = [...folded].filter(([, f]) => f.count > 0);
  const writes: SnapshotWrite[] = changed.map(([g, f]) => ({
    ...groupRef(g),
    version: versionOf(f.applied),
    data: f.state,
    applied: f.applied,
    lastEventId: f.last?.id ?? null,
  }));
  const written = await writeSnapshots(tx, writes);
  const byRef = new Map(written.map((w) => [refId(w), w]));
  const inPersistent = changed.flatMap(([group, folded]) => {
    const w = byRef.get(refId(groupRef(group)));
    return w ? [{ group, folded, w }] : [];
  });
  const outcomes = await writePrimary(
    ctx,
    inPersistent.map(({ w }) => ({ ...w, value: { updatedAt: w.updatedAt, data: w.data } })),
  );
  const landed: Landed[] = [];
  inPersistent.forEach(({ group, folded }, i) => {
    const outcome = outcomes[i];
    if (outcome instanceof Error) {
      failures.push({
        group,
        reason: "store_error",
        detail: `primary store: ${outcome.message}`,
        cause: folded.last,
      });
    } else {
      landed.push({ group, folded });
    }
  });
  return { written: written.length, landed };
}

/**
 * In the same transaction: `dto.updated` for what landed, `dto.failed` and a pending conciliation
 * (first deferred retry per `policy`) for each failure, and a NOTIFY that wakes the scheduler.
 */
async function appendLifecycle(
  ctx: AppContext,
  tx: Queryable,
  landed: Landed[],
  failures: Failure[],
  policy: ConciliationPolicy,
): Promise<void> {
  const updated: NewEvent[] = landed.map(({ group, folded }) =>
    dtoUpdated(group, versionOf(folded.applied), folded.last, folded.count, "composer")
  );
  const failedEvents = failures.map((f) => dtoFailed(f.group, f.reason, f.detail, f.cause));
  const ids = await appendEvents(tx, [...updated, ...failedEvents]);
  if (failures.length === 0) return;
  const retryAt = new Date(ctx.clock.now() + deferredDelayMs(1, policy));
  await openConciliations(
    tx,
    failures.map((f, i) => ({
      tenant: f.group.tenant,
      type: f.group.def.name,
      key: f.group.key,
      reason: f.reason,
      error: f.detail,
      failedEventId: ids[updated.length + i].id,
      nextAttemptAt: retryAt,
    })),
  );
  await tx`select pg_notify(${CONCILIATIONS_CHANNEL}, '')`;
}

/** The immediate retries, once per failed key; answers how many were conciliated. */
async function retryNow(
  ctx: AppContext,
  failures: Failure[],
  policy: ConciliationPolicy,
): Promise<number> {
  ctx.log.warn("dto composition failed; conciliating", {
    failures: failures.map((f) => ({
      tenant: f.group.tenant,
      dtoType: f.group.def.name,
      key: f.group.key,
      reason: f.reason,
    })),
  });
  // With the fast store's breaker open, immediate tries cannot succeed: leave those to the deferred ones.
  const storeDown = ctx.breakers.store.state !== "closed";
  const retried = failures.filter((f) => !(storeDown && f.reason === "store_error"));
  const unique = new Map(retried.map((f) => [refId(groupRef(f.group)), f.group]));
  const outcomes = await Promise.all(
    [...unique.values()].map((g) => conciliateNow(ctx, g.def, g.tenant, g.key, policy)),
  );
  return outcomes.filter((o) => o === "conciliated").length;
}
