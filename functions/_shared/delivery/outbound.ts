/**
 * The one HTTP client for deliveries: SSRF check after DNS (cached briefly), the endpoint's
 * timeout, no redirects (a redirect could point anywhere), and at most 4 KiB of the answer kept.
 */
import type { AppContext } from "../context.ts";
import type { SendResult } from "./connector.ts";
import { checkTarget, type TargetCheck } from "./ssrf.ts";

export const excerptBytes = 4096;
const checkTtlMs = 30_000;
const checks = new Map<string, { until: number; check: Promise<TargetCheck> }>();

export interface OutboundRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Checks the target's host at most every 30 s per host; private targets need the override. */
function targetAllowed(ctx: AppContext, url: string): Promise<TargetCheck> {
  const allowPrivate = ctx.config.SWITCHYARD_ALLOW_PRIVATE_TARGETS;
  if (allowPrivate) return checkTarget(url, { allowPrivate });
  const host = URL.canParse(url) ? new URL(url).host : url;
  const now = ctx.clock.now();
  const hit = checks.get(host);
  if (hit && hit.until > now) return hit.check;
  const check = checkTarget(url, { allowPrivate });
  if (checks.size > 10_000) checks.clear();
  checks.set(host, { until: now + checkTtlMs, check });
  return check;
}

export async function sendHttp(ctx: AppContext, req: OutboundRequest): Promise<SendResult> {
  const started = performance.now();
  const allowed = await targetAllowed(ctx, req.url);
  if (!allowed.ok) {
    return { ok: false, permanent: true, latencyMs: 0, error: `target refused: ${allowed.reason}` };
  }
  const signal = AbortSignal.timeout(req.timeoutMs);
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: "manual",
      signal,
    });
    const responseExcerpt = await readExcerpt(res);
    const latencyMs = Math.round(performance.now() - started);
    const ok = res.status >= 200 && res.status < 300;
    const retryAfterMs = ok
      ? undefined
      : parseRetryAfter(res.headers.get("retry-after"), Date.now());
    return {
      ok,
      status: res.status,
      latencyMs,
      responseExcerpt,
      ...(retryAfterMs ? { retryAfterMs } : {}),
      ...(ok ? {} : { error: `HTTP ${res.status}` }),
    };
  } catch (err) {
    const latencyMs = Math.round(performance.now() - started);
    const e = err as Error;
    const timedOut = e.name === "TimeoutError" || signal.aborted;
    return {
      ok: false,
      latencyMs,
      error: timedOut
        ? `timed out after ${req.timeoutMs} ms`
        : `request failed: ${e.message}`.slice(0, 500),
    };
  }
}

async function readExcerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < excerptBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, excerptBytes));
  let offset = 0;
  for (const c of chunks) {
    const part = c.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}

/** Retry-After as delta-seconds or an HTTP date, in ms from now. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
