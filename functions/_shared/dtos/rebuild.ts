/** Rebuilds DTOs from their source query: one key, or every key of a type a batch per call. */
import { identifierProblem } from "../validation.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { materialize } from "./conciliator.ts";
import type { AnyDtoDefinition } from "./types.ts";

export interface RebuildPage {
  /** Keys rebuilt by this call (the CLI adds them up). */
  rebuilt: number;
  total: number;
  nextCursor: string | null;
  done: boolean;
}

const REBUILD_BATCH = 200;

const encodeCursor = (key: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(key))).replaceAll("+", "-").replaceAll(
    "/",
    "_",
  ).replace(/=+$/, "");

function decodeCursor(cursor: string): string {
  try {
    const bin = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const key = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
    // A key with NUL (or other control characters) was never a DTO key and would not reach SQL.
    if (identifierProblem(key, 1000)) throw new Error("not a key");
    return key;
  } catch {
    throw new AppError("validation_failed", "invalid cursor", [{
      path: "cursor",
      message: "not a cursor this endpoint returned",
    }]);
  }
}

export async function rebuild(
  ctx: AppContext,
  def: AnyDtoDefinition,
  tenant: string,
  opts: { key?: string; cursor?: string; batchSize?: number } = {},
): Promise<RebuildPage> {
  if (opts.key !== undefined) {
    const made = await materialize(ctx, def, tenant, [opts.key], "rebuild");
    if (made.length === 0) {
      throw new AppError("not_found", `${def.name} ${opts.key} has no source in tenant ${tenant}`);
    }
    return { rebuilt: 1, total: 1, nextCursor: null, done: true };
  }
  const limit = opts.batchSize ?? REBUILD_BATCH;
  const after = opts.cursor ? decodeCursor(opts.cursor) : null;
  const [keys, total] = await Promise.all([
    def.listKeys(ctx.sql, tenant, after, limit),
    def.countKeys(ctx.sql, tenant),
  ]);
  if (keys.length > 0) await materialize(ctx, def, tenant, keys, "rebuild");
  const nextCursor = keys.length === limit ? encodeCursor(keys[keys.length - 1]) : null;
  return { rebuilt: keys.length, total, nextCursor, done: nextCursor === null };
}
