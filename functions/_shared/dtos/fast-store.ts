/**
 * The primary store: the fast store under `dto:{tenant}:{type}:{key}`, which every call reaches
 * through the fast-store breaker and deadline (store/guard.ts), so a dead Redis costs one timeout per breaker probe, not
 * one per request.
 */
import type { AppContext } from "../context.ts";
import type { KeyRef } from "./types.ts";
import type { Dto, DtoData } from "./types.ts";

export { STORE_DEADLINE_MS as STORE_TIMEOUT_MS } from "../store/guard.ts";

export const primaryKey = (r: KeyRef) => `dto:${r.tenant}:${r.type}:${r.key}`;

/** What the primary holds under the version: the DTO's data (null = gone) and when it was written. */
export interface PrimaryValue {
  updatedAt: string;
  data: DtoData | null;
}

export interface PrimaryWrite extends KeyRef {
  version: number;
  value: PrimaryValue;
}

/** Writes many keys at once (the client pipelines them); per key: wrote, stale (a newer one is there) or the error. */
export function writePrimary(
  ctx: AppContext,
  writes: PrimaryWrite[],
): Promise<("wrote" | "stale" | Error)[]> {
  return Promise.all(
    writes.map((w) =>
      ctx.store.setIfNewer(primaryKey(w), w.version, w.value)
        .then((wrote) => (wrote ? "wrote" as const : "stale" as const), (err) =>
          err instanceof Error ? err : new Error(String(err)))
    ),
  );
}

export type PrimaryRead = { status: "hit"; dto: Dto | null } | { status: "miss" } | {
  status: "unavailable";
};

/**
 * Reads one DTO. While the breaker is half-open the read serves elsewhere and the probe runs in the
 * background, so no reader waits on a store that may still be dead.
 */
export async function readPrimary(ctx: AppContext, ref: KeyRef): Promise<PrimaryRead> {
  const read = () => ctx.store.getVersioned<PrimaryValue>(primaryKey(ref));
  const state = ctx.breakers.store.state;
  if (state === "open") return { status: "unavailable" };
  if (state === "half-open") {
    read().catch(() => {});
    return { status: "unavailable" };
  }
  try {
    const got = await read();
    if (!got) return { status: "miss" };
    const v = got.value;
    return {
      status: "hit",
      dto: v?.data
        ? {
          type: ref.type,
          key: ref.key,
          version: got.version,
          updatedAt: v.updatedAt,
          data: v.data,
        }
        : null,
    };
  } catch {
    return { status: "unavailable" };
  }
}
