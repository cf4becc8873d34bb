/** Every DTO type Switchyard composes. Adding one is a file beside this one and a line here. */
import { customerPosition } from "./customer_position.ts";
import { customerProfile } from "./customer_profile.ts";
import type { AnyDtoDefinition } from "./types.ts";
import { matchesPattern, patternToLike } from "../events/patterns.ts";

export const dtoDefinitions: readonly AnyDtoDefinition[] = [customerPosition, customerProfile];

export type Registry = ReadonlyMap<string, AnyDtoDefinition>;

export function createRegistry(defs: readonly AnyDtoDefinition[] = dtoDefinitions): Registry {
  return new Map(defs.map((d) => [d.name, d]));
}

export const registry: Registry = createRegistry();

export function feeds(def: AnyDtoDefinition, type: string): boolean {
  return def.sources.some((p) => matchesPattern(p, type));
}

/** The same patterns as SQL `like` patterns. */
export function likePatterns(def: AnyDtoDefinition): string[] {
  return def.sources.map(patternToLike);
}

/** The definition for a route's `:dtoType`: `customer_position`, or as the CLI spells it, `CustomerPosition`. */
export function resolveDefinition(registry: Registry, name: string): AnyDtoDefinition | undefined {
  return registry.get(name) ??
    registry.get(name.replace(/(?<=[a-z0-9])([A-Z])/g, "_$1").toLowerCase());
}
