/** `GET /dto/:dtoType/:key`: the tenant's DTO, from whichever store answers first (docs/CONTRACT.md). */
import type { Hono } from "hono";
import type { AppContext } from "../../_shared/context.ts";
import { AppError } from "../../_shared/errors.ts";
import type { Env } from "../../_shared/http.ts";
import { definitionOr404, readDto } from "../../_shared/dtos/reads.ts";

export function registerDtoRoutes(app: Hono<Env>, ctx: AppContext) {
  app.get("/dto/:dtoType/:key", async (c) => {
    const def = definitionOr404(ctx.dtos, c.req.param("dtoType"));
    const key = c.req.param("key");
    const read = await readDto(ctx, def, c.get("tenant"), key);
    if (!read) throw new AppError("not_found", `no ${def.name} ${key}`);
    c.header("X-Switchyard-Source", read.source);
    return c.json(read.dto);
  });
}
