/**
 * DTO reads: the primary first; on a miss or a fast-store failure the secondary (refilling the
 * primary on a miss); on a miss there the source query (writing both). Says which one answered.
 */
import type { AppContext } from "../context.ts";
import { viaDatabase } from "../db.ts";
import { AppError } from "../errors.ts";
import { materialize } from "./conciliator.ts";
import { readPrimary, writePrimary } from "./fast-store.ts";
import { type Registry, resolveDefinition } from "./registry.ts";
import { readSnapshot } from "./persistent-store.ts";
import type { AnyDtoDefinition, Dto } from "./types.ts";

export type ReadSource = "primary" | "secondary" | "source";

export interface DtoRead {
  dto: Dto;
  source: ReadSource;
}

/** 404 for a type nobody defined. */
export function definitionOr404(registry: Registry, name: string): AnyDtoDefinition {
  const def = resolveDefinition(registry, name);
  if (!def) {
    throw new AppError("not_found", `unknown DTO type ${name}`, [{
      message: `known types: ${[...registry.keys()].join(", ")}`,
    }]);
  }
  return def;
}

/** The DTO or null when no store and no source has it (or it was deleted). */
export async function readDto(
  ctx: AppContext,
  def: AnyDtoDefinition,
  tenant: string,
  key: string,
): Promise<DtoRead | null> {
  const ref = { tenant, type: def.name, key };
  const primary = await readPrimary(ctx, ref);
  if (primary.status === "hit") return primary.dto ? { dto: primary.dto, source: "primary" } : null;

  const snapshot = await viaDatabase(ctx, () => readSnapshot(ctx.sql, ref));
  if (snapshot) {
    const value = { updatedAt: snapshot.updatedAt, data: snapshot.data };
    if (primary.status === "miss") {
      await writePrimary(ctx, [{ ...ref, version: snapshot.version, value }]);
    }
    if (!snapshot.data) return null;
    return {
      dto: {
        type: def.name,
        key,
        version: snapshot.version,
        updatedAt: snapshot.updatedAt,
        data: snapshot.data,
      },
      source: "secondary",
    };
  }

  const [made] = await viaDatabase(ctx, () => materialize(ctx, def, tenant, [key], "read"));
  return made?.dto ? { dto: made.dto, source: "source" } : null;
}
