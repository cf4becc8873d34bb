/**
 * The tenant portal: the page (no key), the link exchange, and its API under /portal/api, where a
 * session token stands for one tenant and every endpoint, event, delivery and dead letter is
 * looked up within it; read-only links may only read. Operators mint and revoke links (service key).
 */
import { z } from "zod";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import { type Env, readJson } from "../../_shared/http.ts";
import { AppError } from "../../_shared/errors.ts";
import { viaDatabase } from "../../_shared/db.ts";
import { identifierSchema, parseOrThrow } from "../../_shared/validation.ts";
import {
  createPortalLink,
  DEFAULT_LINK_TTL_S,
  listPortalLinks,
  MAX_LINK_TTL_S,
  openPortalSession,
  type PortalSession,
  portalSession,
  revokePortalLink,
} from "../../_shared/portal/links.ts";
import { getTenant } from "../../_shared/tenants.ts";
import {
  endpointInputSchema,
  endpointUpdateSchema,
  tenantSlugSchema,
} from "../../_shared/delivery/endpoint-schema.ts";
import {
  createEndpoint,
  deleteEndpoint,
  disableEndpoint,
  enableEndpoint,
  getEndpointRow,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
} from "../../_shared/delivery/endpoints.ts";
import { testEndpoint } from "../../_shared/delivery/probe.ts";
import { dlqFiltersSchema, getDelivery, listDeadLetters } from "../../_shared/delivery/history.ts";
import { dlqReplaySchema, replayDeadLetters } from "../../_shared/delivery/replay.ts";
import {
  entityParamsSchema,
  listEvents,
  listFiltersSchema,
  pageSchema,
} from "../../_shared/events/queries.ts";
import { toEnvelope } from "../../_shared/events/envelope.ts";
import { getTrace } from "../../_shared/events/trace.ts";
import { endpointStats } from "../../_shared/portal/endpoint-health.ts";
import { serveStatic } from "../static.ts";
import { idSchema, optionalJson, reasonSchema, rotateSchema } from "./deliveries.ts";
import { cursorCodec } from "../../_shared/events/cursor.ts";

type PortalEnv = { Variables: Env["Variables"] & { portal: PortalSession } };

const MAX_BODY = 256 * 1024;
export const portalFiles = ["portal.css", "portal.js"];

const newLinkSchema = z.object({
  tenant: tenantSlugSchema,
  expiresInSeconds: z.number().int().min(60).max(MAX_LINK_TTL_S).default(DEFAULT_LINK_TTL_S),
  readOnly: z.boolean().default(false),
  note: identifierSchema(200).optional(),
}).strict();
const linksQuerySchema = z.object({ tenant: tenantSlugSchema }).strict();
const exchangeSchema = z.object({ token: z.string().min(1).max(200) }).strict();
const statsQuerySchema = z.object({
  hours: z.coerce.number().int().min(1).max(24 * 14).default(24),
}).strict();
const dlqQuerySchema = dlqFiltersSchema.omit({ tenant: true });

/** Where a link points: the configured portal URL, else the admin function's own, with the token in the fragment. */
function linkUrl(ctx: AppContext, token: string): string {
  const base = ctx.config.SWITCHYARD_PORTAL_URL ??
    `${ctx.config.SUPABASE_URL.replace(/\/+$/, "")}/functions/v1/admin/portal`;
  return `${base}#token=${token}`;
}

function bearer(c: Context): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
}

/** The session behind the bearer token; a read-only one passes GETs only. */
function portalAuth(ctx: AppContext): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    const token = bearer(c);
    if (!token) {
      throw new AppError("unauthorized", "missing Authorization: Bearer <portal session>");
    }
    const session = await viaDatabase(ctx, () => portalSession(ctx.sql, token));
    if (session.readOnly && c.req.method !== "GET") {
      throw new AppError("forbidden", "this portal link is read-only");
    }
    c.set("tenant", session.tenant);
    c.set("portal", session);
    await next();
  };
}

/** A JSON object body whose `tenant`, if given at all, is the session's. */
async function tenantBody(
  c: Context<PortalEnv>,
  optional = false,
): Promise<Record<string, unknown>> {
  const body = optional ? await optionalJson(c) : await readJson(c, MAX_BODY);
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new AppError("bad_request", "the body must be a JSON object");
  }
  const given = (body as { tenant?: unknown }).tenant;
  if (given !== undefined && given !== c.get("tenant")) {
    throw new AppError("validation_failed", "invalid request", [{
      path: "tenant",
      message: "is set by the portal link",
    }]);
  }
  return { ...body, tenant: c.get("tenant") };
}

function portalApi(ctx: AppContext): Hono<PortalEnv> {
  const api = new Hono<PortalEnv>();
  /** The endpoint, if it is this tenant's; another tenant's is as unknown as a missing one. */
  const own = async (c: Context<PortalEnv>) => {
    const id = parseOrThrow(idSchema, c.req.param("id"), "id");
    const row = await viaDatabase(ctx, () => getEndpointRow(ctx.sql, id)).catch((err) => {
      throw err instanceof AppError && err.code === "not_found" ? notFound(id) : err;
    });
    if (row.tenant !== c.get("tenant")) throw notFound(id);
    return id;
  };
  const notFound = (id: string) => new AppError("not_found", `endpoint ${id} not found`);

  api.use("*", portalAuth(ctx));
  api.get("/me", (c) => c.json(c.get("portal")));

  api.get(
    "/endpoints",
    async (c) =>
      c.json({ items: await viaDatabase(ctx, () => listEndpoints(ctx.sql, c.get("tenant"))) }),
  );
  api.post("/endpoints", async (c) => {
    const input = parseOrThrow(endpointInputSchema, await tenantBody(c), "endpoint");
    return c.json(await viaDatabase(ctx, () => createEndpoint(ctx, input)), 201);
  });
  api.patch("/endpoints/:id", async (c) => {
    const id = await own(c);
    const patch = parseOrThrow(endpointUpdateSchema, await readJson(c, MAX_BODY), "endpoint edit");
    return c.json(await viaDatabase(ctx, () => updateEndpoint(ctx, id, patch)));
  });
  api.delete("/endpoints/:id", async (c) => {
    const id = await own(c);
    const body = parseOrThrow(reasonSchema, await optionalJson(c), "delete request");
    return c.json(
      await viaDatabase(ctx, () => deleteEndpoint(ctx, id, body.reason ?? "deleted in the portal")),
    );
  });
  api.post("/endpoints/:id/disable", async (c) => {
    const id = await own(c);
    const body = parseOrThrow(reasonSchema, await optionalJson(c), "disable request");
    return c.json(
      await viaDatabase(
        ctx,
        () => disableEndpoint(ctx.sql, id, body.reason ?? "disabled in the portal"),
      ),
    );
  });
  api.post(
    "/endpoints/:id/enable",
    async (c) => {
      const id = await own(c);
      return c.json(await viaDatabase(ctx, () => enableEndpoint(ctx.sql, id)));
    },
  );
  api.post("/endpoints/:id/rotate-secret", async (c) => {
    const id = await own(c);
    const body = parseOrThrow(rotateSchema, await optionalJson(c), "rotation");
    return c.json(await viaDatabase(ctx, () => rotateSecret(ctx, id, body.overlapSeconds)));
  });
  api.post("/endpoints/:id/test", async (c) => c.json(await testEndpoint(ctx, await own(c))));
  api.get("/stats", async (c) => {
    const q = parseOrThrow(statsQuerySchema, c.req.query(), "query");
    return c.json(await viaDatabase(ctx, () => endpointStats(ctx.sql, c.get("tenant"), q.hours)));
  });

  api.get("/events", async (c) => {
    const filters = parseOrThrow(listFiltersSchema, c.req.query(), "query");
    const page = await viaDatabase(
      ctx,
      () => listEvents(ctx.sql, cursorCodec(ctx.config, ctx.clock), c.get("tenant"), filters),
    );
    return c.json({ items: page.items.map(toEnvelope), nextCursor: page.nextCursor });
  });
  api.get("/trace/:entityType/:entityId", async (c) => {
    const { entityType, entityId } = parseOrThrow(entityParamsSchema, c.req.param(), "entity");
    const { limit, cursor } = parseOrThrow(pageSchema, c.req.query(), "query");
    const e = { tenant: c.get("tenant"), entityType, entityId };
    return c.json((await getTrace(ctx, e, limit, cursor)).trace);
  });
  api.get("/deliveries/:id", async (c) => {
    const id = parseOrThrow(idSchema, c.req.param("id"), "id");
    const delivery: { tenant?: string } = await viaDatabase(ctx, () => getDelivery(ctx.sql, id));
    if (delivery.tenant !== c.get("tenant")) {
      throw new AppError("not_found", `delivery ${id} not found`);
    }
    return c.json(delivery);
  });

  api.get("/dlq", async (c) => {
    const f = parseOrThrow(dlqQuerySchema, c.req.query(), "filters");
    return c.json({
      items: await viaDatabase(
        ctx,
        () => listDeadLetters(ctx.sql, { ...f, tenant: c.get("tenant") }),
      ),
    });
  });
  api.post("/dlq/replay", async (c) => {
    const body = parseOrThrow(dlqReplaySchema, await tenantBody(c), "replay");
    return c.json({ replayed: await viaDatabase(ctx, () => replayDeadLetters(ctx.sql, body)) });
  });

  // Past this, nothing: not the service routes behind it.
  api.all("*", (c) => {
    throw new AppError("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);
  });
  return api;
}

/** `public`: the page, the exchange and the session-authenticated API; `service`: links. */
export function registerPortalRoutes(
  app: Hono<Env>,
  ctx: AppContext,
  audience: "public" | "service",
) {
  if (audience === "public") {
    serveStatic(app, {
      route: "/portal",
      dir: "portal",
      files: portalFiles,
      frameAncestors: ctx.config.SWITCHYARD_PORTAL_FRAME_ANCESTORS,
    });
    app.post("/portal/session", async (c) => {
      const { token } = parseOrThrow(exchangeSchema, await readJson(c, 4096), "exchange");
      const session = await viaDatabase(ctx, () => openPortalSession(ctx.sql, token));
      c.header("Cache-Control", "no-store");
      return c.json(session, 201);
    });
    app.route("/portal/api", portalApi(ctx));
    return;
  }
  app.post("/portal/links", async (c) => {
    const body = parseOrThrow(newLinkSchema, await readJson(c, MAX_BODY), "portal link");
    const { token, ...link } = await viaDatabase(ctx, () => createPortalLink(ctx.sql, body));
    return c.json({ ...link, url: linkUrl(ctx, token) }, 201);
  });
  app.get("/portal/links", async (c) => {
    const { tenant } = parseOrThrow(linksQuerySchema, c.req.query(), "query");
    await viaDatabase(ctx, () => getTenant(ctx.sql, tenant));
    return c.json({ items: await viaDatabase(ctx, () => listPortalLinks(ctx.sql, tenant)) });
  });
  app.post("/portal/links/:id/revoke", async (c) => {
    const id = parseOrThrow(idSchema, c.req.param("id"), "id");
    return c.json(await viaDatabase(ctx, () => revokePortalLink(ctx.sql, id)));
  });
}
