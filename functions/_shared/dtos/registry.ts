/**
 * The DTO types a deployment composes, by name. They are the user's: files in a folder whose
 * `index.ts` lists them (the repository's dtos/ or SWITCHYARD_DTO_DIR), never part of the core.
 */
import type { AnyDtoDefinition } from "./types.ts";
import { matchesPattern, patternToLike } from "../events/patterns.ts";

export type Registry = ReadonlyMap<string, AnyDtoDefinition>;

// As switchyard.dto_snapshots checks it.
const dtoName = /^[a-z][a-z0-9_]*$/;

/** Throws on a name that cannot be a `:dtoType` and on two definitions with one name. */
export function createRegistry(defs: readonly AnyDtoDefinition[] = []): Registry {
  const registry = new Map<string, AnyDtoDefinition>();
  for (const def of defs) {
    if (!dtoName.test(def.name)) {
      throw new Error(`DTO type name ${JSON.stringify(def.name)} must match ${dtoName.source}`);
    }
    if (registry.has(def.name)) throw new Error(`two DTO types are named ${def.name}`);
    registry.set(def.name, def);
  }
  return registry;
}

/** The repository's own dtos/ folder: what the deployed edge functions import. */
const defaultDtoDir = new URL("../../../dtos/", import.meta.url);

/**
 * Loads `<dir>/index.ts` (its default export is the list) for the processes that run from a
 * checkout: the local stack and the tests. A file of the folder that is not in the list is
 * an error, so a DTO that runs locally is never missing once deployed.
 */
export async function loadDtoFolder(dir?: string): Promise<AnyDtoDefinition[]> {
  const folder = dir
    ? new URL(`${dir.replace(/\/+$/, "")}/`, `file://${Deno.cwd()}/`)
    : defaultDtoDir;
  const listed: unknown = (await import(new URL("index.ts", folder).href)).default;
  if (!Array.isArray(listed)) {
    throw new Error(`${folder.pathname}index.ts must default-export an array of DTO definitions`);
  }
  const defs = listed as AnyDtoDefinition[];
  for await (const entry of Deno.readDir(folder)) {
    const file = entry.name;
    if (
      !entry.isFile || !file.endsWith(".ts") || file === "index.ts" || file.endsWith(".test.ts")
    ) {
      continue;
    }
    const def = (await import(new URL(file, folder).href)).default;
    if (!defs.includes(def)) {
      throw new Error(`${folder.pathname}${file} is not listed in ${folder.pathname}index.ts`);
    }
  }
  return defs;
}

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
