/**
 * Opaque keyset cursors: base64url of `kind.position.scope.check`. `scope` binds the cursor to the
 * query it came from (tenant + filters), `check` catches edited or truncated cursors; either
 * failing is a 400. Positions are not secrets: the tenant is always enforced by the query itself.
 */
import { AppError } from "../errors.ts";

export type CursorKind = "list" | "trace" | "tail";

/** FNV-1a, 32 bits, as 8 hex digits: enough to notice tampering, not a MAC. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

function toBase64Url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return null;
  try {
    return atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
}

/** The scope of a query: the same filters always give the same scope. */
export function cursorScope(parts: Record<string, string | number | null | undefined>): string {
  return fnv1a(Object.keys(parts).sort().map((k) => `${k}=${parts[k] ?? ""}`).join("&"));
}

export function encodeCursor(kind: CursorKind, position: number, scope: string): string {
  const body = `${kind}.${position}.${scope}`;
  return toBase64Url(`${body}.${fnv1a(body)}`);
}

/** The position in `cursor`, or a 400 when it is malformed, edited, or from another query. */
export function decodeCursor(cursor: string, kind: CursorKind, scope: string): number {
  const bad = (why: string) =>
    new AppError("bad_request", `invalid cursor: ${why}`, [{ path: "cursor", message: why }]);
  const text = fromBase64Url(cursor);
  const m = text && /^([a-z]+)\.(\d{1,18})\.([0-9a-f]{8})\.([0-9a-f]{8})$/.exec(text);
  if (!m) throw bad("not a cursor this API issued");
  if (fnv1a(`${m[1]}.${m[2]}.${m[3]}`) !== m[4]) throw bad("the cursor was altered");
  if (m[1] !== kind || m[3] !== scope) {
    throw bad("the cursor belongs to another query; start again without it");
  }
  return Number(m[2]);
}
