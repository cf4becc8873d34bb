/**
 * The one HTTP client for deliveries: SSRF check after DNS (cached briefly), then a connection to
 * exactly the address that passed (node:http(s) with `lookup` pinned to it, so the name is never
 * resolved twice; TLS still verifies the certificate against the name), the endpoint's timeout,
 * no redirects (a redirect could point anywhere), and at most 4 KiB of the answer kept.
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { AppContext } from "../context.ts";
import type { SendResult } from "./connector.ts";
import { checkTarget, type TargetCheck, type TargetCheckOptions } from "./ssrf.ts";

export const excerptBytes = 4096;
const checkTtlMs = 30_000;
const checks = new Map<string, { until: number; check: Promise<TargetCheck> }>();
// Kept-alive connections were each opened to a checked address; reusing them never resolves again.
const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

export interface OutboundRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** For tests: another resolver or classifier (no cache then), extra CA certificates. */
export interface OutboundOptions {
  target?: Omit<TargetCheckOptions, "allowPrivate">;
  ca?: string[];
}

/** Checks the target's host at most every 30 s per host; private targets need the override. */
function targetAllowed(ctx: AppContext, url: string, opts: OutboundOptions): Promise<TargetCheck> {
  const allowPrivate = ctx.config.SWITCHYARD_ALLOW_PRIVATE_TARGETS;
  if (allowPrivate || opts.target) return checkTarget(url, { allowPrivate, ...opts.target });
  const host = URL.canParse(url) ? new URL(url).host : url;
  const now = ctx.clock.now();
  const hit = checks.get(host);
  if (hit && hit.until > now) return hit.check;
  const check = checkTarget(url, { allowPrivate });
  if (checks.size > 10_000) checks.clear();
  checks.set(host, { until: now + checkTtlMs, check });
  return check;
}

/** A `lookup` that answers `address` for any name: the connection goes where the check looked. */
export function pinnedLookup(address: string): LookupFunction {
  const family = address.includes(":") ? 6 : 4;
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

interface Answer {
  status: number;
  retryAfter: string | null;
  excerpt: string;
}

/** One request over node:http(s), to `address` when given; rejects on network failure or abort. */
function request(
  req: OutboundRequest,
  address: string | undefined,
  signal: AbortSignal,
  ca: string[] | undefined,
): Promise<Answer> {
  const url = new URL(req.url);
  const secure = url.protocol === "https:";
  const body = req.body === undefined ? undefined : new TextEncoder().encode(req.body);
  return new Promise<Answer>((resolve, reject) => {
    const options: https.RequestOptions = {
      method: req.method,
      headers: body ? { ...req.headers, "content-length": String(body.byteLength) } : req.headers,
      agent: ca ? undefined : agents[secure ? "https:" : "http:"],
      signal,
      ...(address ? { lookup: pinnedLookup(address) } : {}),
      ...(ca ? { ca } : {}),
    };
    const outgoing = (secure ? https : http).request(url, options, (res) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      let done = false;
      const finish = (early: boolean) => {
        if (done) return;
        done = true;
        // An answer cut short cannot leave its connection reusable; a complete one goes back to the pool.
        if (early) res.destroy();
        const retryAfter = res.headers["retry-after"];
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter ?? null,
          excerpt: excerptOf(chunks, size),
        });
      };
      res.on("data", (chunk: Uint8Array) => {
        chunks.push(chunk);
        size += chunk.byteLength;
        if (size >= excerptBytes) finish(true);
      });
      res.on("end", () => finish(false));
      res.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

export async function sendHttp(
  ctx: AppContext,
  req: OutboundRequest,
  opts: OutboundOptions = {},
): Promise<SendResult> {
  const started = performance.now();
  const allowed = await targetAllowed(ctx, req.url, opts);
  if (!allowed.ok) {
    return { ok: false, permanent: true, latencyMs: 0, error: `target refused: ${allowed.reason}` };
  }
  const signal = AbortSignal.timeout(req.timeoutMs);
  try {
    const res = await request(req, allowed.address, signal, opts.ca);
    const latencyMs = Math.round(performance.now() - started);
    const ok = res.status >= 200 && res.status < 300;
    const retryAfterMs = ok ? undefined : parseRetryAfter(res.retryAfter, Date.now());
    return {
      ok,
      status: res.status,
      latencyMs,
      responseExcerpt: res.excerpt,
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

/** The first `excerptBytes` of the answer, as text. */
function excerptOf(chunks: Uint8Array[], size: number): string {
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
function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
