/** The HTTP face shared by every function: correlation ids, errors, auth, bounded JSON bodies. */
import { type Context as HonoContext, Hono, type MiddlewareHandler } from "hono";
import { getPath } from "hono/utils/url";
import { AppError, errorBody } from "./errors.ts";
import { isCancelled, isUnavailable, viaDatabase } from "./db.ts";
import { BreakerOpenError } from "./breaker.ts";
import { DeadlineError } from "./deadline.ts";
import { timingSafeEqual } from "./secrets.ts";
import { tenantForKey } from "./tenants.ts";
import { parseStorableJson } from "./validation.ts";
import type { AppContext } from "./context.ts";

export type Env = { Variables: { correlationId: string; tenant: string } };

/** The gateway's prefix in front of `/<name>` when the functions are served locally (local/serve.ts). */
export const GATEWAY_PREFIX = "/functions/v1";

/**
 * The path a function routes on: `/<name>/…`, as Supabase's edge runtime passes it, also when the
 * request came in under the gateway's prefix. Routing on it spares copying each request into one
 * with a rewritten URL (about 20 µs a request in Deno, more than its whole routing).
 */
function functionPath(req: Request): string {
  const path = getPath(req);
  return path.startsWith(`${GATEWAY_PREFIX}/`) ? path.slice(GATEWAY_PREFIX.length) : path;
}

/** A Hono app mounted at `/<name>`, as Supabase's edge runtime routes it, with the shared middleware. */
export function createFunctionApp(name: string, ctx: AppContext): Hono<Env> {
  const app = new Hono<Env>({ getPath: functionPath }).basePath(`/${name}`);
  app.use("*", async (c, next) => {
    const given = c.req.header("x-correlation-id");
    const id = given && /^[\w.:-]{1,128}$/.test(given) ? given : crypto.randomUUID();
    c.set("correlationId", id);
    c.header("X-Correlation-Id", id);
    const started = performance.now();
    await next();
    // Successes at debug: the hot paths answer thousands of requests a second.
    const status = c.res.status;
    const level = status >= 500 ? "error" : status >= 400 ? "info" : "debug";
    ctx.log[level]("request", {
      correlationId: id,
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round(performance.now() - started),
    });
  });
  app.onError((err, c) => errorResponse(c, err, ctx));
  app.notFound((c) =>
    c.json(
      errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`),
      404,
    )
  );
  return app;
}

function errorResponse(c: HonoContext, err: unknown, ctx: AppContext): Response {
  if (err instanceof AppError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json(errorBody(err.code, err.message, err.details), err.status as 400);
  }
  // A store that did not answer in time is unavailable too, whichever store it was.
  if (
    err instanceof BreakerOpenError || err instanceof DeadlineError || isUnavailable(err) ||
    isCancelled(err)
  ) {
    const retryAfter = err instanceof BreakerOpenError ? Math.ceil(err.retryAfterMs / 1000) : 1;
    c.header("Retry-After", String(Math.max(1, retryAfter)));
    const what = err instanceof BreakerOpenError
      ? err.breaker
      : err instanceof DeadlineError
      ? err.what
      : "database";
    return c.json(errorBody("unavailable", `the ${what} is unavailable; retry later`), 503);
  }
  ctx.log.error("unhandled error", {
    err,
    correlationId: c.get("correlationId"),
    path: c.req.path,
  });
  return c.json(errorBody("internal", "internal error"), 500);
}

function bearer(c: HonoContext): string | undefined {
  const header = c.req.header("authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1];
}

/**
 * Tenant API key auth: 401 missing/unknown/revoked key, 403 disabled tenant. Checked against the
 * database on every request, never cached: a revoked key or a disabled tenant is refused by every
 * instance from the next request on (see tenantForKey for the cost).
 */
export function tenantAuth(ctx: AppContext): MiddlewareHandler<Env> {
  return async (c, next) => {
    const key = bearer(c);
    if (!key) throw new AppError("unauthorized", "missing Authorization: Bearer <API key>");
    c.set(
      "tenant",
      await viaDatabase(ctx, () => tenantForKey(ctx.sql, key)),
    );
    await next();
  };
}

/** Service-role auth for the admin function and operator routes. */
export function serviceAuth(ctx: AppContext): MiddlewareHandler<Env> {
  return async (c, next) => {
    const key = bearer(c) ?? c.req.header("apikey");
    if (!key || !timingSafeEqual(key, ctx.config.SUPABASE_SERVICE_ROLE_KEY)) {
      throw new AppError("unauthorized", "missing or wrong service role key");
    }
    await next();
  };
}

/**
 * Reads a JSON body of at most `maxBytes`: 413 over, 415 not JSON, 400 malformed or holding a
 * value the database would not store as sent (`parse` decides; ingest reports per event itself).
 */
export async function readJson(
  c: HonoContext,
  maxBytes: number,
  parse: (text: string) => unknown = parseStorableJson,
): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new AppError("unsupported_media_type", "Content-Type must be application/json");
  }
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxBytes) {
    throw new AppError("payload_too_large", `body is over ${maxBytes} bytes`);
  }
  const body = c.req.raw.body;
  if (!body) throw new AppError("bad_request", "a JSON body is required");
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new AppError("payload_too_large", `body is over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("bad_request", "body is not valid UTF-8 JSON");
  }
}
