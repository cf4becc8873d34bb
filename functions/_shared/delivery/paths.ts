/** Paths into an event, shared by filters and templates: `data.items[0].sku`, `entity.id`, `$` (all). */

const pathPattern = /^(\$|[A-Za-z_][\w-]*(\.[\w-]+|\[\d+\])*)$/;

export function isValidPath(path: string): boolean {
  return path.length <= 300 && pathPattern.test(path);
}

/** Splits a valid path into keys and indexes; `$` is the empty path (the whole value). */
function parsePath(path: string): (string | number)[] {
  if (path === "$") return [];
  const parts: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    parts.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  }
  return parts;
}

/** The value at `path`, or undefined when any step is missing. */
export function getPath(value: unknown, path: string): unknown {
  let cur = value;
  for (const key of parsePath(path)) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (typeof key === "number" && !Array.isArray(cur)) return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}
