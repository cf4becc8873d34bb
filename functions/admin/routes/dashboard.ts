import type { Hono } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import type { Env } from "../../_shared/http.ts";

/** `public`: the page and its static assets (no key); `service`: the data it loads (service key). */
export function registerDashboardRoutes(_app: Hono<Env>, _ctx: AppContext, _audience: "public" | "service") {}
