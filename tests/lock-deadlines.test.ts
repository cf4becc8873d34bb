/**
 * A query stuck behind a lock is the common way a database "hangs" for one request while it answers
 * everyone else. The request gives up at its deadline with a 503 and Retry-After, whichever route.
 */
import assert from "node:assert/strict";
import { SERVICE_KEY, startStack } from "./harness.ts";

Deno.test("admin reads blocked by a lock (the event list, the dashboard, the tenants) answer 503 at their deadline instead of waiting it out", async () => {
  const stack = await startStack({ store: "memory" });
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = stack.db.sql.begin(async (tx) => {
    await tx`lock table switchyard.events, switchyard.tenants in access exclusive mode`;
    locked();
    await held;
  });
  try {
    await isLocked;
    for (const path of ["/admin/events", "/admin/dashboard/api/tenants", "/admin/tenants"]) {
      const res = await fetch(`${stack.base}${path}`, {
        headers: { authorization: `Bearer ${SERVICE_KEY}` },
        // Well past the 5 s deadline: without one the request waits for the lock.
        signal: AbortSignal.timeout(20_000),
      });
      assert.equal(res.status, 503, path);
      assert.ok(res.headers.get("retry-after"), path);
      assert.equal((await res.json()).error.code, "unavailable", path);
    }
  } finally {
    release();
    await holder;
    await stack.close();
  }
});
