/**
 * Subscriptions: event-type patterns and filters, decided purely.
 * As in `GET /events`, `*` stands for any run of characters: `*` matches every type, `order.*`
 * every type under `order.`, `*.confirmed` every type ending so; anything else is an exact type.
 * A filter maps paths to expected values: `{"data.status": "CONFIRMED"}`; an array means any of.
 */
import { z } from "zod";
import { getPath, isValidPath } from "./paths.ts";

const patternRegex = /^(\*|([a-z][a-z0-9_]*|\*)(\.([a-z0-9_]+|\*))*)$/;

export const patternSchema = z.string().max(200).regex(patternRegex, "must be *, an event type, or one with * segments like order.*");

const json: z.ZodType<unknown> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]));

export const filterSchema = z.record(z.string(), json).superRefine((f, ctx) => {
  for (const key of Object.keys(f)) if (!isValidPath(key)) ctx.addIssue({ code: "custom", message: `bad path "${key}"`, path: [key] });
});
export type Filter = z.infer<typeof filterSchema>;

const compiled = new Map<string, RegExp>();

export function matchesPattern(pattern: string, type: string): boolean {
  if (pattern === "*") return true;
  if (!pattern.includes("*")) return pattern === type;
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split("*").map((p) => p.replaceAll(".", "\\.")).join(".*")}$`);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re.test(type);
}

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
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
