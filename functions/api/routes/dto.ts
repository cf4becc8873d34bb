/** `GET /dto/:dtoType/:key`: the tenant's DTO, from whichever store answers first (docs/CONTRACT.md). */
import type { Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../../_shared/context.ts";
import { AppError } from "../../_shared/errors.ts";
import type { Env } from "../../_shared/http.ts";
import { definitionOr404, readDto } from "../../_shared/dtos/reads.ts";
import { identifierSchema, parseOrThrow } from "../../_shared/validation.ts";

const dtoParams = z.object({ dtoType: identifierSchema(100), key: identifierSchema(200) });

export function registerDtoRoutes(app: Hono<Env>, ctx: AppContext) {
  app.get("/dto/:dtoType/:key", async (c) => {
    const { dtoType, key } = parseOrThrow(dtoParams, c.req.param(), "DTO");
    const def = definitionOr404(ctx.dtos, dtoType);
    const read = await readDto(ctx, def, c.get("tenant"), key);
    if (!read) throw new AppError("not_found", `no ${def.name} ${key}`);
    c.header("X-Switchyard-Source", read.source);
    return c.json(read.dto);
  });
}
