/**
 * The composer: a batch's events grouped by tenant × DTO type × key, one reduce pass and one write
 * per key in each store, all under the per-key lock in one transaction. Failures become
 * `dto.failed` and a pending conciliation in that same transaction, then get immediate retries.
 */
import type { AppContext } from "../context.ts";
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
import { CONCILIATIONS_CHANNEL, openConciliations } from "./conciliations.ts";
import { conciliateNow } from "./conciliator.ts";
import { dtoFailed, dtoUpdated } from "./events.ts";
import { type JumpCheck, realGaps } from "./gaps.ts";
import { type ConciliationPolicy, defaultPolicy, deferredDelayMs } from "./policy.ts";
import { writePrimary } from "./primary.ts";
import { feeds, likePatterns, type Registry } from "./registry.ts";
import { lockKeys, readSnapshots, type SnapshotWrite, writeSnapshots } from "./snapshots.ts";
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

async function keyLookups(
  ctx: AppContext,
  registry: Registry,
  events: LoggedEvent[],
): Promise<Map<string, KeyLookup>> {
  const work: Promise<[string, KeyLookup]>[] = [];
  for (const tenant of new Set(events.map((e) => e.tenant))) {
    for (const def of registry.values()) {
      const mine = events.filter((e) => e.tenant === tenant && feeds(def, e.type));
      if (def.lookup && mine.length > 0) {
        work.push(def.lookup(ctx.sql, tenant, mine).then((l) => [`${tenant}\u0000${def.name}`, l]));
      }
    }
  }
  return new Map(await Promise.all(work));
}

export async function composeBatch(
  ctx: AppContext,
  batch: LoggedEvent[],
  opts: ComposeOptions = {},
): Promise<ComposeResult> {
  const registry = ctx.dtos;
  const policy = opts.policy ?? defaultPolicy;
  const events = batch.filter((e) => [...registry.values()].some((d) => feeds(d, e.type)));
  const result: ComposeResult = {
    events: events.length,
    keys: 0,
    writes: 0,
    failed: 0,
    conciliated: 0,
  };
  if (events.length === 0) return result;
  const lookups = await keyLookups(ctx, registry, events);
  const groups = groupByKey(
    events,
    registry,
    (def, e) => def.keysOf(e, lookups.get(`${e.tenant}\u0000${def.name}`) ?? noLookup),
  );
  result.keys = groups.length;
  if (groups.length === 0) return result;

  const failures: Failure[] = [];
  await ctx.sql.begin(async (tx) => {
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

    const changed = [...folded].filter(([, f]) => f.count > 0);
    const writes: SnapshotWrite[] = changed.map(([g, f]) => ({
      tenant: g.tenant,
      type: g.def.name,
      key: g.key,
      version: versionOf(f.applied),
      data: f.state,
      applied: f.applied,
      lastEventId: f.last?.id ?? null,
    }));
    const written = await writeSnapshots(tx, writes);
    result.writes = written.length;
    const byRef = new Map(written.map((w) => [refId(w), w]));
    const landed = changed.flatMap(([g, f]) => {
      const w = byRef.get(refId(groupRef(g)));
      return w ? [{ g, f, w }] : [];
    });
    const outcomes = await writePrimary(
      ctx,
      landed.map(({ w }) => ({ ...w, value: { updatedAt: w.updatedAt, data: w.data } })),
    );

    const appended: NewEvent[] = [];
    landed.forEach(({ g, f }, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof Error) {
        failures.push({
          group: g,
          reason: "store_error",
          detail: `primary store: ${outcome.message}`,
          cause: f.last,
        });
      } else {
        appended.push(dtoUpdated(g, versionOf(f.applied), f.last, f.count, "composer"));
      }
    });
    const failedEvents = failures.map((f) => dtoFailed(f.group, f.reason, f.detail, f.cause));
    const ids = await appendEvents(tx, [...appended, ...failedEvents]);
    if (failures.length > 0) {
      const retryAt = new Date(ctx.clock.now() + deferredDelayMs(1, policy));
      await openConciliations(
        tx,
        failures.map((f, i) => ({
          tenant: f.group.tenant,
          type: f.group.def.name,
          key: f.group.key,
          reason: f.reason,
          error: f.detail,
          failedEventId: ids[appended.length + i].id,
          nextAttemptAt: retryAt,
        })),
      );
      await tx`select pg_notify(${CONCILIATIONS_CHANNEL}, '')`;
    }
  });

  result.failed = failures.length;
  if (failures.length > 0) {
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
    const retryNow = failures.filter((f) => !(storeDown && f.reason === "store_error"));
    const unique = new Map(retryNow.map((f) => [refId(groupRef(f.group)), f.group]));
    const outcomes = await Promise.all(
      [...unique.values()].map((g) => conciliateNow(ctx, g.def, g.tenant, g.key, policy)),
    );
    result.conciliated = outcomes.filter((o) => o === "conciliated").length;
  }
  return result;
}
