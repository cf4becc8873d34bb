import assert from "node:assert/strict";
import { CURSOR_MAX_AGE_MS, CursorCodec, cursorScope, fnv1a } from "./cursor.ts";
import { AppError } from "../errors.ts";
import type { Clock } from "../clock.ts";

const scope = cursorScope({ tenant: "acme", type: "order.*" });
let now = Date.parse("2026-12-01T12:00:00Z");
const clock: Clock = { now: () => now, sleep: () => Promise.resolve() };
const codec = new CursorCodec("a server key of enough length", clock);

const raw = (cursor: string) => atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
const wrap = (text: string) =>
  btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

Deno.test("a cursor decodes back to its position for the same query", () => {
  assert.equal(codec.decode(codec.encode("list", 12345, scope), "list", scope), 12345);
});

Deno.test("a cursor is opaque url-safe text", () => {
  assert.match(codec.encode("trace", 7, scope), /^[A-Za-z0-9_-]+$/);
});

Deno.test("the scope does not depend on the order of the filters", () => {
  assert.equal(cursorScope({ b: 1, a: "x" }), cursorScope({ a: "x", b: 1 }));
  assert.notEqual(cursorScope({ a: "x" }), cursorScope({ a: "y" }));
});

const rejects = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e) => e instanceof AppError && e.status === 400 && pattern.test(e.message));

Deno.test("an edited cursor is refused with a 400", () => {
  const edited = wrap(raw(codec.encode("list", 100, scope)).replace(".100.", ".99."));
  rejects(() => codec.decode(edited, "list", scope), /not a cursor this API issued/);
});

Deno.test("a cursor forged with the old unkeyed checksum is refused, whatever its position", () => {
  // What a client could compute before cursors were signed: position 2^31 reached an integer column.
  const body = `trace.2147483648.${scope}`;
  const forged = wrap(`${body}.${fnv1a(body)}`);
  rejects(() => codec.decode(forged, "trace", scope), /not a cursor this API issued/);
  const issued = raw(codec.encode("trace", 5, scope)).split(".");
  issued[2] = "2147483648";
  rejects(() => codec.decode(wrap(issued.join(".")), "trace", scope), /not a cursor/);
});

Deno.test("a cursor signed with another server key is refused", () => {
  const other = new CursorCodec("another deployment's key", clock);
  rejects(() => codec.decode(other.encode("list", 5, scope), "list", scope), /another key/);
});

Deno.test("a signed cursor decodes only to a position its column holds", () => {
  rejects(
    () => codec.decode(codec.encode("trace", 2_147_483_648, scope), "trace", scope),
    /out of range/,
  );
  assert.equal(
    codec.decode(codec.encode("trace", 2_147_483_647, scope), "trace", scope),
    2 ** 31 - 1,
  );
  assert.equal(
    codec.decode(codec.encode("list", Number.MAX_SAFE_INTEGER, scope), "list", scope),
    Number.MAX_SAFE_INTEGER,
  );
});

Deno.test("a cursor older than a day is stale and refused", () => {
  const cursor = codec.encode("list", 5, scope);
  now += CURSOR_MAX_AGE_MS + 1_000;
  try {
    rejects(() => codec.decode(cursor, "list", scope), /stale/);
  } finally {
    now -= CURSOR_MAX_AGE_MS + 1_000;
  }
});

Deno.test("garbage and truncated cursors are refused with a 400", () => {
  rejects(() => codec.decode("not a cursor!", "list", scope), /not a cursor/);
  rejects(() => codec.decode(codec.encode("list", 5, scope).slice(0, 10), "list", scope), /cursor/);
});

Deno.test("a cursor from another query or route is refused", () => {
  rejects(
    () => codec.decode(codec.encode("list", 5, scope), "list", cursorScope({ tenant: "other" })),
    /another query/,
  );
  rejects(() => codec.decode(codec.encode("trace", 5, scope), "list", scope), /another query/);
});
