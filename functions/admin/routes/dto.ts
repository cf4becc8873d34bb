import type { Hono } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import type { Env } from "../../_shared/http.ts";

export function registerDtoRoutes(_app: Hono<Env>, _ctx: AppContext) {}
