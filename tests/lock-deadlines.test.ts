/**
 * A query stuck behind a lock is the common way a database "hangs" for one request while it answers
 * everyone else. The request gives up at its deadline with a 503 and Retry-After, whichever route.
 */
import assert from "node:assert/strict";
import { SERVICE_KEY, startStack } from "./harness.ts";
import { waitUntil } from "./wait.ts";

Deno.test("admin requests blocked by a lock (the event list, the dashboard, the tenants, an endpoint test) answer 503 at their deadline instead of waiting it out", async () => {
  const stack = await startStack({ store: "memory" });
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = stack.db.sql.begin(async (tx) => {
    await tx`lock table switchyard.events, switchyard.tenants, switchyard.endpoints in access exclusive mode`;
    locked();
    await held;
  });
  try {
    await isLocked;
    for (
      const [method, path] of [
        ["GET", "/admin/events"],
        ["GET", "/admin/dashboard/api/tenants"],
        ["GET", "/admin/tenants"],
        // Its send has the endpoint's own timeout; reading the endpoint has the database's.
        ["POST", `/admin/endpoints/${crypto.randomUUID()}/test`],
      ]
    ) {
      const res = await fetch(`${stack.base}${path}`, {
        method,
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

Deno.test("requests stuck behind a lock on one table answer 503 and give their connections back, and routes on other tables go on answering", async () => {
  const stack = await startStack({ store: "memory" });
  const admin = { authorization: `Bearer ${SERVICE_KEY}` };
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = stack.db.sql.begin(async (tx) => {
    await tx`lock table switchyard.deliveries in access exclusive mode`;
    locked();
    await held;
  });
  try {
    await isLocked;
    // More blocked requests than the functions have connections (DB_POOL_SIZE, 10).
    const blocked = await Promise.all(
      Array.from({ length: 14 }, () =>
        fetch(`${stack.base}/admin/deliveries`, {
          headers: admin,
          signal: AbortSignal.timeout(30_000),
        }).then(async (res) => ({ status: res.status, code: (await res.json()).error?.code }))),
    );
    for (const b of blocked) assert.deepEqual(b, { status: 503, code: "unavailable" });
    // The database answers: the lock is one table's, and the breaker stays closed for the rest.
    const started = Date.now();
    const tenants = await fetch(`${stack.base}/admin/tenants`, {
      headers: admin,
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(tenants.status, 200, await tenants.clone().text());
    await tenants.body?.cancel();
    assert.ok(Date.now() - started < 2_000, `tenants took ${Date.now() - started} ms`);
    // Their statements do not stay behind, waiting on the lock and holding connections: those past
    // the deadline are cancelled, and then those that were queued behind them.
    await waitUntil(
      "no statement waits on the lock",
      async () =>
        (await stack.db.sql<{ waiting: number }[]>`
        select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`)[0].waiting === 0,
    );
  } finally {
    release();
    await holder;
    await stack.close();
  }
});
