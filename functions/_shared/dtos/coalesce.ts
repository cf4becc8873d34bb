/**
 * The pure core of composition: a batch's events grouped by tenant × DTO type × key, and one
 * reduce pass per group that skips what the DTO already holds and notes possible version gaps.
 */
import type { LoggedEvent } from "../events/envelope.ts";
import { feeds, type Registry } from "./registry.ts";
import { type AnyDtoDefinition, type Applied, type DtoData, type KeyRef, refId } from "./types.ts";

export interface KeyGroup {
  tenant: string;
  def: AnyDtoDefinition;
  key: string;
  events: LoggedEvent[];
}

/** The DTO a group composes. */
export const groupRef = (g: KeyGroup): KeyRef => ({
  tenant: g.tenant,
  type: g.def.name,
  key: g.key,
});

/** Groups in first-seen order, events in log order; `keysOf` answers an event's keys for a type. */
export function groupByKey(
  events: LoggedEvent[],
  registry: Registry,
  keysOf: (def: AnyDtoDefinition, event: LoggedEvent) => string[],
): KeyGroup[] {
  const groups = new Map<string, KeyGroup>();
  for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
    for (const def of registry.values()) {
      if (!feeds(def, event.type)) continue;
      for (const key of keysOf(def, event)) {
        const id = refId({ tenant: event.tenant, type: def.name, key });
        let g = groups.get(id);
        if (!g) groups.set(id, g = { tenant: event.tenant, def, key, events: [] });
        g.events.push(event);
      }
    }
  }
  return [...groups.values()];
}

export const entityRef = (e: { entity: { type: string; id: string } }) =>
  `${e.entity.type}:${e.entity.id}`;

/** A jump in an entity's versions; only a gap if a skipped version was an event this DTO needs. */
export interface Jump {
  ref: string;
  after: number;
  before: number;
}

export interface Folded {
  state: DtoData | null;
  applied: Applied;
  /** How many events changed the state (already-applied ones are skipped). */
  count: number;
  last: LoggedEvent | null;
  jumps: Jump[];
}

export class ReducerError extends Error {
  constructor(readonly event: LoggedEvent, cause: unknown) {
    super(`reducer failed on ${event.type} ${event.id}: ${(cause as Error)?.message ?? cause}`);
    this.name = "ReducerError";
  }
}

/** One reduce pass over a key's events, on top of the stored state and its applied versions. */
export function fold(
  def: AnyDtoDefinition,
  key: string,
  state: DtoData | null,
  applied: Applied,
  events: LoggedEvent[],
): Folded {
  const next: Applied = { ...applied };
  const jumps: Jump[] = [];
  let count = 0;
  let last: LoggedEvent | null = null;
  for (const event of events) {
    const ref = entityRef(event);
    const seen = next[ref] ?? 0;
    if (event.version <= seen) continue;
    if (event.version > seen + 1) jumps.push({ ref, after: seen, before: event.version });
    try {
      state = def.reduce(state, event, key);
    } catch (err) {
      throw new ReducerError(event, err);
    }
    next[ref] = event.version;
    count++;
    last = event;
  }
  return { state, applied: next, count, last, jumps };
}

/**
 * A DTO's version: the sum of its source entities' versions. Each only grows and an entity never
 * leaves the map, so the sum only grows; under the per-key lock a later write always dominates.
 */
export function versionOf(applied: Applied): number {
  let v = 0;
  for (const n of Object.values(applied)) v += n;
  return v;
}

/** Source versions merged over stored ones: entities the DTO no longer holds keep their last value. */
export function mergeApplied(stored: Applied, source: Applied): Applied {
  const merged: Applied = { ...stored };
  for (const [ref, v] of Object.entries(source)) merged[ref] = Math.max(v, merged[ref] ?? 0);
  return merged;
}
