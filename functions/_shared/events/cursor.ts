/**
 * Opaque keyset cursors: base64url of `c1.kind.position.scope.issued.mac`. `scope` binds the cursor
 * to the query it came from (tenant + filters), `issued` (Unix seconds) lets it go stale, and `mac`
 * is an HMAC-SHA256 under the server's cursor key, so no client can forge a position. A forged,
 * edited, foreign (another query, another server key) or stale cursor is a 400; a genuine one
 * decodes only to a position its column holds.
 */
import { createHmac } from "node:crypto";
import { AppError } from "../errors.ts";
import type { Config } from "../config.ts";
import { type Clock, systemClock } from "../clock.ts";
import { INT4_MAX } from "../validation.ts";
import { timingSafeEqual } from "../secrets.ts";

export type CursorKind = "list" | "trace" | "tail";

/** Cursors older than this are refused: long enough for any paging session, short enough to rotate keys. */
export const CURSOR_MAX_AGE_MS = 24 * 3_600_000;
/** Clocks of two function instances may differ this much. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** `trace` pages by entity version (`integer`); the others by sequence numbers (`bigint`, read as JS numbers). */
const maxPosition: Record<CursorKind, number> = {
  list: Number.MAX_SAFE_INTEGER,
  trace: INT4_MAX,
  tail: Number.MAX_SAFE_INTEGER,
};

/** FNV-1a, 32 bits, as 8 hex digits: names a query's filters compactly (the MAC protects it). */
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

/** Signs and checks cursors with one server key. */
export class CursorCodec {
  constructor(private readonly key: string, private readonly clock: Clock = systemClock) {}

  private mac(body: string): string {
    return createHmac("sha256", this.key).update(body).digest("base64url").slice(0, 22);
  }

  encode(kind: CursorKind, position: number, scope: string): string {
    const body = `c1.${kind}.${position}.${scope}.${Math.floor(this.clock.now() / 1000)}`;
    return toBase64Url(`${body}.${this.mac(body)}`);
  }

  /** The position in `cursor`, or a 400 when it is malformed, forged, from another query or stale. */
  decode(cursor: string, kind: CursorKind, scope: string): number {
    const bad = (why: string) =>
      new AppError("bad_request", `invalid cursor: ${why}`, [{ path: "cursor", message: why }]);
    const text = fromBase64Url(cursor);
    const m = text &&
      /^c1\.([a-z]+)\.(\d{1,16})\.([0-9a-f]{8})\.(\d{1,12})\.([A-Za-z0-9_-]{22})$/.exec(text);
    if (!m) throw bad("not a cursor this API issued");
    if (!timingSafeEqual(this.mac(text.slice(0, text.lastIndexOf("."))), m[5])) {
      throw bad("not a cursor this API issued (altered, or signed with another key)");
    }
    if (m[1] !== kind || m[3] !== scope) {
      throw bad("the cursor belongs to another query; start again without it");
    }
    const age = this.clock.now() - Number(m[4]) * 1000;
    if (age > CURSOR_MAX_AGE_MS || age < -CLOCK_SKEW_MS) {
      throw bad("the cursor is stale; start again without it");
    }
    const position = Number(m[2]);
    if (position > maxPosition[kind]) throw bad("the cursor's position is out of range");
    return position;
  }
}

const codecs = new WeakMap<Config, CursorCodec>();

/**
 * The codec for this configuration: keyed by SWITCHYARD_CURSOR_KEY, else by a key derived from
 * SUPABASE_SERVICE_ROLE_KEY (every instance of one deployment shares it; rotating it voids cursors).
 */
export function cursorCodec(config: Config, clock: Clock = systemClock): CursorCodec {
  let codec = codecs.get(config);
  if (!codec) {
    const key = config.SWITCHYARD_CURSOR_KEY ??
      createHmac("sha256", config.SUPABASE_SERVICE_ROLE_KEY).update("switchyard cursor key v1")
        .digest("base64");
    codec = new CursorCodec(key, clock);
    codecs.set(config, codec);
  }
  return codec;
}
