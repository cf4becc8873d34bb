/**
 * The fast store: one interface for every hot-path key/value need (DTO primary store, trace and
 * metrics caches, processed keys, locks, rate limits). Values are JSON. It is never the source of
 * truth: everything in it can be rebuilt from Postgres.
 */

export { type Clock, systemClock } from "../clock.ts";
export type { Logger } from "../log.ts";

export interface SetOptions {
  /** Expire the key this many milliseconds from now. */
  ttlMs?: number;
  /** Only write when the key does not exist. */
  nx?: boolean;
}

export interface Versioned<T> {
  version: number;
  value: T;
}

export interface LockHandle {
  /** Releases the lock if this holder still owns it; false when it had expired or was taken. */
  release(): Promise<boolean>;
}

export interface RateLimitResult {
  success: boolean;
  remaining: number;
  /** Unix epoch milliseconds at which the caller may expect room again. */
  resetMs: number;
}

export interface FastStore {
  readonly kind: "upstash" | "memory";
  /** False when data lives only in this process and dies with it. */
  readonly durable: boolean;

  get<T = unknown>(key: string): Promise<T | null>;
  /** Many keys in one round trip, answers in key order. */
  mget<T = unknown>(keys: string[]): Promise<(T | null)[]>;
  /** Returns false when `nx` was asked and the key already existed. */
  set(key: string, value: unknown, opts?: SetOptions): Promise<boolean>;
  /** Returns how many keys existed. */
  del(...keys: string[]): Promise<number>;
  /** Adds `by` (default 1); `ttlMs` is applied when the counter has no expiry yet. */
  incr(key: string, by?: number, ttlMs?: number): Promise<number>;

  /**
   * Writes `{version, value}` only when the stored version is lower or absent, atomically; a stale
   * write never replaces a newer one. Returns whether it wrote.
   */
  setIfNewer(key: string, version: number, value: unknown, ttlMs?: number): Promise<boolean>;
  getVersioned<T = unknown>(key: string): Promise<Versioned<T> | null>;

  /** A lease of `ttlMs` on `key`, or null when someone else holds it. Does not wait. */
  lock(key: string, ttlMs: number): Promise<LockHandle | null>;
  /** Counts `cost` hits (default 1) against `limit` hits per sliding `windowMs`. */
  rateLimit(key: string, limit: number, windowMs: number, cost?: number): Promise<RateLimitResult>;

  /** True when the store answers. Never throws. */
  ping(): Promise<boolean>;
}

/** The stored form of a versioned value; `version` comes first so Lua can read it cheaply. */
export function encodeVersioned(version: number, value: unknown): string {
  if (!Number.isFinite(version)) {
    throw new TypeError(`version must be a finite number, got ${version}`);
  }
  return `{"version":${version},"value":${JSON.stringify(value ?? null)}}`;
}

export function parseJson<T>(raw: string | null | undefined): T | null {
  if (raw === null || raw === undefined) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return raw as T;
  }
}

export function asVersioned<T>(stored: unknown): Versioned<T> | null {
  if (stored === null || typeof stored !== "object" || !("version" in stored)) return null;
  const { version, value } = stored as Versioned<T>;
  return typeof version === "number" ? { version, value } : null;
}
