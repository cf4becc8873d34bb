/**
 * Event-type patterns, with one meaning everywhere (subscriptions, `GET /events`, replays, DTO
 * sources): `*` stands for any run of characters, so `*` matches every type, `order.*` every type
 * under `order.`, `*.confirmed` every type ending so; anything else is an exact type.
 */
import { z } from "zod";

const patternRegex = /^(\*|([a-z][a-z0-9_]*|\*)(\.([a-z0-9_]+|\*))*)$/;

export const patternSchema = z.string().max(200)
  .regex(patternRegex, "must be *, an event type, or one with * segments like order.*");

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

/** The pattern as SQL LIKE sees it (`order.*` → `order.%`), LIKE's own wildcards escaped. */
export function patternToLike(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll("*", "%");
}
