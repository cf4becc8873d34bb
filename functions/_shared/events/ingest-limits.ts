/**
 * Ingest rate limits, kept in the fast store (sliding windows of one second): accepted events per
 * tenant (INGEST_TENANT_RATE) and requests per client address (INGEST_IP_RATE). A fast store that
 * does not answer lets traffic through: losing Redis loses protection and speed, never data.
 */
import type { Context as HonoContext } from "hono";
import { getConnInfo } from "hono/deno";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import type { RateLimitResult } from "../store/store.ts";
import type { Env } from "../http.ts";

const WINDOW_MS = 1_000;

/**
 * The caller's address: the first hop of X-Forwarded-For when SWITCHYARD_TRUST_FORWARDED_FOR is
 * set (only behind a proxy that overwrites it, such as Supabase's gateway), else the connection's.
 */
function clientAddress(c: HonoContext<Env>, trustForwarded: boolean): string {
  if (trustForwarded) {
    const first = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (first) return first;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Seconds to put in Retry-After: at least one. */
function retryAfterSeconds(resetMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((resetMs - nowMs) / 1000));
}

type Limit = RateLimitResult | null;

async function limit(ctx: AppContext, key: string, max: number, cost: number): Promise<Limit> {
  try {
    return await ctx.store.rateLimit(key, max, WINDOW_MS, cost);
  } catch (err) {
    // The store is bounded by its deadline and breaker (store/guard.ts): this fails open at once.
    ctx.log.warn("rate limit check failed; failing open, letting the request through", {
      err,
      key,
      breaker: ctx.breakers.store.state,
    });
    return null;
  }
}

/** Counts this request against its address; settle it with `enforceIngestLimits`. */
export function ipLimit(ctx: AppContext, c: HonoContext<Env>): Promise<Limit> {
  const ip = clientAddress(c, ctx.config.SWITCHYARD_TRUST_FORWARDED_FOR);
  return limit(ctx, `ingest:ip:${ip}`, ctx.config.INGEST_IP_RATE, 1);
}

/** Counts `events` against the tenant, then throws 429 with Retry-After if either limit is exceeded. */
export async function enforceIngestLimits(
  ctx: AppContext,
  tenant: string,
  events: number,
  ipCheck: Promise<Limit>,
) {
  const [ip, perTenant] = await Promise.all([
    ipCheck,
    limit(ctx, `ingest:tenant:${tenant}`, ctx.config.INGEST_TENANT_RATE, events),
  ]);
  const denied = [ip, perTenant].filter((r): r is RateLimitResult => r !== null && !r.success);
  if (denied.length === 0) return;
  const retryAfter = Math.max(...denied.map((r) => retryAfterSeconds(r.resetMs, ctx.clock.now())));
  const which = perTenant && !perTenant.success
    ? `tenant ${tenant} is over ${ctx.config.INGEST_TENANT_RATE} events/s`
    : `this address is over ${ctx.config.INGEST_IP_RATE} requests/s`;
  throw new AppError("rate_limited", `rate limited: ${which}`, [{ message: which }], {
    "Retry-After": String(retryAfter),
  });
}
