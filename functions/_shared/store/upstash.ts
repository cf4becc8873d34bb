/**
 * The fast store on Upstash Redis (or the local bridge). The client auto-pipelines, so concurrent
 * calls from one process share HTTP round trips.
 */
import { Redis } from "@upstash/redis";
import { Ratelimit } from "@upstash/ratelimit";
import { Lock } from "@upstash/lock";
import {
  asVersioned,
  encodeVersioned,
  type FastStore,
  type LockHandle,
  parseJson,
  type RateLimitResult,
  type SetOptions,
  type Versioned,
} from "./store.ts";
import { STORE_DEADLINE_MS } from "./guard.ts";
import { DeadlineError } from "../deadline.ts";

// The version is the first field of the stored JSON (see encodeVersioned), so no cjson decode.
const SET_IF_NEWER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local v = tonumber(string.match(cur, '^{"version":([^,]+),'))
  if v and v >= tonumber(ARGV[1]) then return 0 end
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1`;

const INCR_WITH_TTL = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;

type LockRedis = ConstructorParameters<typeof Lock>[0]["redis"];

export interface UpstashStoreConfig {
  url: string;
  token: string;
  /** Prefix of @upstash/ratelimit's keys. */
  rateLimitPrefix?: string;
  /** Each HTTP request is aborted after this long. Default: STORE_DEADLINE_MS (500 ms). */
  deadlineMs?: number;
}

export class UpstashStore implements FastStore {
  readonly kind = "upstash" as const;
  readonly durable = true;
  readonly redis: Redis;
  #limiters = new Map<string, Ratelimit>();
  #setIfNewer;
  #incrWithTtl;
  #prefix: string;
  #deadlineMs: number;

  constructor(config: UpstashStoreConfig) {
    this.#deadlineMs = config.deadlineMs ?? STORE_DEADLINE_MS;
    const deadlineMs = this.#deadlineMs;
    // We serialize JSON ourselves, so a stored string "123" comes back as a string.
    this.redis = new Redis({
      url: config.url,
      token: config.token,
      automaticDeserialization: false,
      enableTelemetry: false,
      // A hung store must not hold a request open: each one is aborted at the deadline, and the
      // client's own retries (five, up to ~4 s) are left to the breaker.
      signal: () => AbortSignal.timeout(deadlineMs),
      retry: { retries: 1, backoff: () => 20 },
    });
    this.#setIfNewer = this.redis.createScript<number>(SET_IF_NEWER);
    this.#incrWithTtl = this.redis.createScript<number>(INCR_WITH_TTL);
    this.#prefix = config.rateLimitPrefix ?? "ratelimit";
  }

  async get<T = unknown>(key: string): Promise<T | null> {
    return parseJson<T>(await this.redis.get<string>(key));
  }

  async mget<T = unknown>(keys: string[]): Promise<(T | null)[]> {
    if (keys.length === 0) return [];
    const raws = await this.redis.mget<(string | null)[]>(...keys);
    return raws.map((r) => parseJson<T>(r));
  }

  async set(key: string, value: unknown, opts: SetOptions = {}): Promise<boolean> {
    const raw = JSON.stringify(value ?? null);
    const ttl = opts.ttlMs !== undefined && opts.ttlMs > 0 ? { px: Math.ceil(opts.ttlMs) } : {};
    const res = opts.nx
      ? await this.redis.set(key, raw, { ...ttl, nx: true })
      : await this.redis.set(key, raw, ttl);
    return res === "OK";
  }

  async del(...keys: string[]): Promise<number> {
    return keys.length === 0 ? 0 : await this.redis.del(...keys);
  }

  async incr(key: string, by = 1, ttlMs?: number): Promise<number> {
    if (ttlMs === undefined || ttlMs <= 0) return await this.redis.incrby(key, by);
    return Number(await this.#incrWithTtl.exec([key], [String(by), String(Math.ceil(ttlMs))]));
  }

  async setIfNewer(key: string, version: number, value: unknown, ttlMs?: number): Promise<boolean> {
    const raw = encodeVersioned(version, value);
    const ttl = ttlMs !== undefined && ttlMs > 0 ? Math.ceil(ttlMs) : 0;
    return Number(await this.#setIfNewer.exec([key], [String(version), raw, String(ttl)])) === 1;
  }

  async getVersioned<T = unknown>(key: string): Promise<Versioned<T> | null> {
    return asVersioned<T>(await this.get(key));
  }

  async lock(key: string, ttlMs: number): Promise<LockHandle | null> {
    // @upstash/lock's typings resolve @upstash/redis through CommonJS: the same class, another type.
    const lock = new Lock({
      id: key,
      redis: this.redis as unknown as LockRedis,
      lease: Math.ceil(ttlMs),
      retry: { attempts: 1, delay: 0 },
    });
    return (await lock.acquire()) ? { release: () => lock.release() } : null;
  }

  async rateLimit(
    key: string,
    limit: number,
    windowMs: number,
    cost = 1,
  ): Promise<RateLimitResult> {
    const id = `${limit}/${windowMs}`;
    let limiter = this.#limiters.get(id);
    if (!limiter) {
      limiter = new Ratelimit({
        redis: this.redis,
        limiter: Ratelimit.slidingWindow(limit, `${windowMs} ms`),
        prefix: this.#prefix,
        // Its default (5 s) resolves a hung call as "allowed"; ours is short and reported below.
        timeout: this.#deadlineMs,
      });
      this.#limiters.set(id, limiter);
    }
    const res = await limiter.limit(key, cost === 1 ? undefined : { rate: cost });
    if (res.reason === "timeout") {
      throw new DeadlineError("fast store rate limit", this.#deadlineMs);
    }
    return { success: res.success, remaining: Math.max(0, res.remaining), resetMs: res.reset };
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === "PONG";
    } catch {
      return false;
    }
  }
}
