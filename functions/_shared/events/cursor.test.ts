import assert from "node:assert/strict";
import { cursorScope, decodeCursor, encodeCursor } from "./cursor.ts";
import { AppError } from "../errors.ts";

const scope = cursorScope({ tenant: "acme", type: "order.*" });

Deno.test("a cursor decodes back to its position for the same query", () => {
  assert.equal(decodeCursor(encodeCursor("list", 12345, scope), "list", scope), 12345);
});

Deno.test("a cursor is opaque url-safe text", () => {
  assert.match(encodeCursor("trace", 7, scope), /^[A-Za-z0-9_-]+$/);
});

Deno.test("the scope does not depend on the order of the filters", () => {
  assert.equal(cursorScope({ b: 1, a: "x" }), cursorScope({ a: "x", b: 1 }));
  assert.notEqual(cursorScope({ a: "x" }), cursorScope({ a: "y" }));
});

const rejects = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e) => e instanceof AppError && e.status === 400 && pattern.test(e.message));

Deno.test("an edited cursor is refused with a 400", () => {
  const raw = atob(encodeCursor("list", 100, scope).replaceAll("-", "+").replaceAll("_", "/"));
  const edited = btoa(raw.replace(".100.", ".99.")).replace(/=+$/, "");
  rejects(() => decodeCursor(edited, "list", scope), /altered/);
});

Deno.test("garbage and truncated cursors are refused with a 400", () => {
  rejects(() => decodeCursor("not a cursor!", "list", scope), /not a cursor/);
  rejects(() => decodeCursor(encodeCursor("list", 5, scope).slice(0, 10), "list", scope), /cursor/);
});

Deno.test("a cursor from another query or route is refused", () => {
  rejects(
    () => decodeCursor(encodeCursor("list", 5, scope), "list", cursorScope({ tenant: "other" })),
    /another query/,
  );
  rejects(() => decodeCursor(encodeCursor("trace", 5, scope), "list", scope), /another query/);
});
