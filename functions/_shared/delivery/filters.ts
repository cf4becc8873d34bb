/**
 * Subscription filters, decided purely: paths into the event mapped to expected values,
 * `{"data.status": "CONFIRMED"}`; an array means any of. (Type patterns: events/patterns.ts.)
 */
import { z } from "zod";
import { getPath, isValidPath } from "./paths.ts";

const json: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(json),
    z.record(z.string(), json),
  ])
);

export const filterSchema = z.record(z.string(), json).superRefine((f, ctx) => {
  for (const key of Object.keys(f)) {
    if (!isValidPath(key)) {
      ctx.addIssue({ code: "custom", message: `bad path "${key}"`, path: [key] });
    }
  }
});
export type Filter = z.infer<typeof filterSchema>;

export function matchesFilter(filter: Filter | null | undefined, event: unknown): boolean {
  if (!filter) return true;
  for (const [path, expected] of Object.entries(filter)) {
    const actual = getPath(event, path);
    const options = Array.isArray(expected) ? expected : [expected];
    if (!options.some((o) => deepEqual(o, actual))) return false;
  }
  return true;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length &&
    ka.every((k) =>
      deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    );
}
