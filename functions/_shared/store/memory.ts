/**
 * The in-process fast store: the zero-install default. Not durable, not shared between
 * processes. Values are kept serialized so callers never share mutable objects with it.
 */
import {
  asVersioned,
  type Clock,
  encodeVersioned,
  type FastStore,
  type LockHandle,
  parseJson,
  type RateLimitResult,
  type SetOptions,
  systemClock,
  type Versioned,
} from "./store.ts";

interface Entry {
  raw: string;
  expiresAt?: number;
}

const SWEEP_EVERY = 1024;

export class MemoryStore implements FastStore {
  readonly kind = "memory" as const;
  readonly durable = false;
  #entries = new Map<string, Entry>();
  /** Hit timestamps per rate-limit key, oldest first. */
  #hits = new Map<string, { windowMs: number; at: number[] }>();
  #writes = 0;

  constructor(private readonly clock: Pick<Clock, "now"> = systemClock) {}

  #read(key: string): string | null {
    const e = this.#entries.get(key);
    if (!e) return null;
    if (e.expiresAt !== undefined && e.expiresAt <= this.clock.now()) {
      this.#entries.delete(key);
      return null;
    }
    return e.raw;
  }

  #write(key: string, raw: string, ttlMs?: number, keepTtl = false) {
    const expiresAt = ttlMs !== undefined && ttlMs > 0
      ? this.clock.now() + ttlMs
      : keepTtl
      ? this.#entries.get(key)?.expiresAt
      : undefined;
    this.#entries.set(key, { raw, expiresAt });
    if (++this.#writes % SWEEP_EVERY === 0) this.#sweep();
  }

  /** Expired entries nobody reads again would otherwise stay forever. */
  #sweep() {
    const now = this.clock.now();
    for (const [k, e] of this.#entries) {
      if (e.expiresAt !== undefined && e.expiresAt <= now) this.#entries.delete(k);
    }
    for (const [k, h] of this.#hits) {
      if (h.at.length === 0 || h.at[h.at.length - 1] <= now - h.windowMs) this.#hits.delete(k);
    }
  }

  get<T = unknown>(key: string): Promise<T | null> {
    return Promise.resolve(parseJson<T>(this.#read(key)));
  }

  mget<T = unknown>(keys: string[]): Promise<(T | null)[]> {
    return Promise.resolve(keys.map((k) => parseJson<T>(this.#read(k))));
  }

  set(key: string, value: unknown, opts: SetOptions = {}): Promise<boolean> {
    if (opts.nx && this.#read(key) !== null) return Promise.resolve(false);
    this.#write(key, JSON.stringify(value ?? null), opts.ttlMs);
    return Promise.resolve(true);
  }

  del(...keys: string[]): Promise<number> {
    let n = 0;
    for (const k of keys) {
      if (this.#read(k) !== null) n++;
      this.#entries.delete(k);
    }
    return Promise.resolve(n);
  }

  incr(key: string, by = 1, ttlMs?: number): Promise<number> {
    const raw = this.#read(key);
    const current = raw === null ? 0 : Number(raw);
    if (!Number.isInteger(current)) {
      return Promise.reject(new Error(`ERR value at ${key} is not an integer`));
    }
    const next = current + by;
    const hasTtl = this.#entries.get(key)?.expiresAt !== undefined;
    this.#write(key, String(next), hasTtl ? undefined : ttlMs, true);
    return Promise.resolve(next);
  }

  setIfNewer(key: string, version: number, value: unknown, ttlMs?: number): Promise<boolean> {
    const stored = asVersioned(parseJson(this.#read(key)));
    if (stored && stored.version >= version) return Promise.resolve(false);
    this.#write(key, encodeVersioned(version, value), ttlMs);
    return Promise.resolve(true);
  }

  getVersioned<T = unknown>(key: string): Promise<Versioned<T> | null> {
    return Promise.resolve(asVersioned<T>(parseJson(this.#read(key))));
  }

  lock(key: string, ttlMs: number): Promise<LockHandle | null> {
    if (this.#read(key) !== null) return Promise.resolve(null);
    const token = JSON.stringify(crypto.randomUUID());
    this.#write(key, token, ttlMs);
    return Promise.resolve({
      release: () => {
        if (this.#read(key) !== token) return Promise.resolve(false);
        this.#entries.delete(key);
        return Promise.resolve(true);
      },
    });
  }

  /** An exact sliding log: at most `limit` hits in any `windowMs`. */
  rateLimit(key: string, limit: number, windowMs: number, cost = 1): Promise<RateLimitResult> {
    const now = this.clock.now();
    let h = this.#hits.get(key);
    if (!h || h.windowMs !== windowMs) this.#hits.set(key, h = { windowMs, at: [] });
    let drop = 0;
    while (drop < h.at.length && h.at[drop] <= now - windowMs) drop++;
    if (drop > 0) h.at.splice(0, drop);
    const success = h.at.length + cost <= limit;
    if (success) { for (let i = 0; i < cost; i++) h.at.push(now); }
    if (++this.#writes % SWEEP_EVERY === 0) this.#sweep();
    return Promise.resolve({
      success,
      remaining: Math.max(0, limit - h.at.length),
      resetMs: (h.at[0] ?? now) + windowMs,
    });
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }
}
