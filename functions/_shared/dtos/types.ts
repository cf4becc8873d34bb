/**
 * What a DTO type is: which events feed it, how an event picks its key, how state plus events
 * becomes the next state, and the source query that computes it straight from operational tables.
 */
import type postgres from "postgres";
import type { Queryable } from "../db.ts";
import type { LoggedEvent } from "../events/envelope.ts";

/** One DTO: tenant × DTO type × key. */
export interface KeyRef {
  tenant: string;
  type: string;
  key: string;
}

/** A KeyRef as one string, for maps and sets: the one spelling of a DTO's identity. */
export const refId = (r: KeyRef) => `${r.tenant}\u0000${r.type}\u0000${r.key}`;

/** DTO data as stored and served; `null` means the subject is gone (a tombstone). */
export type DtoData = Record<string, unknown>;

/** Last version of each source entity (`"type:id"`) folded into a DTO. */
export type Applied = Record<string, number>;

/** Per-batch context for keying events that do not carry their key (e.g. a balance → its customer). */
export type KeyLookup = ReadonlyMap<string, string>;

export interface SourceRow {
  key: string;
  /** Whatever the definition's SQL returns for `fromSource`. */
  rows: unknown;
  /** Source entities (`"type:id"`) the DTO is made of; their versions are read in the same statement. */
  refs: string[];
}

export interface DtoDefinition<S extends DtoData = DtoData> {
  /** `customer_position`: the `:dtoType` in routes and the fast-store key. */
  name: string;
  /** Entity whose timeline gets `dto.updated`, `dto.failed`, … (id = the DTO key). */
  entityType: string;
  /** Event type patterns that feed the DTO (`account.*` or exact types). */
  sources: string[];
  /** Resolves what events alone cannot key, for a whole batch of one tenant in one query. */
  lookup?(sql: Queryable, tenant: string, events: LoggedEvent[]): Promise<KeyLookup>;
  /** The keys an event affects (an account moving between customers affects both). */
  keysOf(event: LoggedEvent, lookup: KeyLookup): string[];
  /** Next state; `null` deletes. Pure; throws on an event it cannot apply. */
  reduce(state: S | null, event: LoggedEvent, key: string): S | null;
  /** One statement: `key`, `rows` (jsonb) and `refs` (text[]) for each of `keys` that exists. */
  sourceQuery(
    sql: Queryable,
    tenant: string,
    keys: string[],
  ): postgres.PendingQuery<postgres.Row[]>;
  /** Builds the DTO from what `sourceQuery` returned for one key. Pure. */
  fromSource(rows: unknown, key: string): S | null;
  /** Keys in order after `after` (rebuilds walk them in batches), and how many there are. */
  listKeys(sql: Queryable, tenant: string, after: string | null, limit: number): Promise<string[]>;
  countKeys(sql: Queryable, tenant: string): Promise<number>;
}

export type AnyDtoDefinition = DtoDefinition<DtoData>;

/** Erases a definition's state type so the registry can hold them side by side. */
export function defineDto<S extends DtoData>(def: DtoDefinition<S>): AnyDtoDefinition {
  return def as unknown as AnyDtoDefinition;
}

/** A stored DTO as every reader sees it (docs/CONTRACT.md). */
export interface Dto {
  type: string;
  key: string;
  version: number;
  updatedAt: string;
  data: DtoData;
}

export type FailureReason = "gap" | "reducer_error" | "store_error" | "source_error";
