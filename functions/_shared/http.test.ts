import assert from "node:assert/strict";
import type { AppContext } from "./context.ts";
import { createFunctionApp } from "./http.ts";
import { createLogger } from "./log.ts";
import { DeadlineError } from "./deadline.ts";

function appThrowing(err: unknown) {
  const lines: string[] = [];
  const ctx = { log: createLogger("test", { write: (l) => lines.push(l) }) } as AppContext;
  const app = createFunctionApp("t", ctx);
  app.get("/x", () => {
    throw err;
  });
  return { app, lines };
}

Deno.test("a store that did not answer in time is a 503 with Retry-After, not a 500", async () => {
  const { app } = appThrowing(new DeadlineError("fast store", 500));
  const res = await app.request("/t/x");
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "1");
  const body = await res.json();
  assert.equal(body.error.code, "unavailable");
  assert.match(body.error.message, /fast store is unavailable/);
});

Deno.test("an unexpected error is a 500 that says nothing of its cause, and is logged", async () => {
  const { app, lines } = appThrowing(new Error("secret detail"));
  const res = await app.request("/t/x");
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.doesNotMatch(text, /secret detail/);
  assert.ok(lines.some((l) => l.includes("unhandled error") && l.includes("secret detail")));
});

Deno.test("a function routes the same under the gateway's prefix as the edge runtime's path", async () => {
  const ctx = { log: createLogger("test", { write: () => {} }) } as AppContext;
  const app = createFunctionApp("t", ctx);
  app.get(
    "/items/:id",
    (c) => c.json({ id: c.req.param("id"), path: c.req.path, q: c.req.query("q") }),
  );
  for (const url of ["http://h/t/items/a%20b?q=1", "http://h/functions/v1/t/items/a%20b?q=1"]) {
    const res = await app.fetch(new Request(url));
    assert.equal(res.status, 200, url);
    assert.deepEqual(await res.json(), { id: "a b", path: "/t/items/a b", q: "1" });
  }
  // Only the gateway's own prefix is stripped, and only in front.
  for (const url of ["http://h/functions/v2/t/items/x", "http://h/x/functions/v1/t/items/x"]) {
    assert.equal((await app.fetch(new Request(url))).status, 404, url);
  }
});
