import type { Hono } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import type { Env } from "../../_shared/http.ts";

/** `operator` routes use the service key (Prometheus); `tenant` routes the tenant's API key. */
export function registerMetricsRoutes(_app: Hono<Env>, _ctx: AppContext, _audience: "operator" | "tenant") {}
