/**
 * A query stuck behind a lock is the common way a database "hangs" for one request while it answers
 * everyone else. The request gives up at its deadline with a 503 and Retry-After, whichever route.
 */
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { seedBank } from "./dto-fixtures.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";
import { envelopeSelect, type EventRow, rowToEvent } from "../functions/_shared/events/envelope.ts";
import { DB_BATCH_DEADLINE_MS } from "../functions/_shared/db.ts";
import { waitUntil } from "./wait.ts";
import { sleep } from "../functions/_shared/clock.ts";

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

Deno.test("a relay hand-over and a DTO rebuild page stuck behind a lock answer 503 at the batch deadline (or when their statement is cancelled), and go through once the lock is gone", async () => {
  const stack = await startStack({ store: "memory", example: "bank" });
  const { sql } = stack.db;
  // Well past the batch deadline: without one, a request waits for the lock, which outlives it.
  const service = (path: string, body: unknown) =>
    client(stack.base, SERVICE_KEY)("POST", path, body, {}, AbortSignal.timeout(30_000));
  const { slug } = await seedTenant(sql);
  await seedBank(sql, slug, { customers: 3, accounts: 1 });
  await appendEvents(sql, [{
    tenant: slug,
    type: "order.created",
    entity: { type: "order", id: "o-1" },
  }]);
  const events = (await sql.unsafe<EventRow[]>(
    `select ${envelopeSelect} from switchyard.events e where e.tenant = $1`,
    [slug],
  )).map(rowToEvent);
  const handover = () => service("/pipeline/batch", { events });
  const rebuildPage = () => service("/admin/dto/customer_position/rebuild", { tenant: slug });
  const timed = async (send: () => ReturnType<typeof handover>) => {
    const started = Date.now();
    const res = await send();
    return { res, took: Date.now() - started };
  };
  const unavailable = ({ res }: Awaited<ReturnType<typeof timed>>, what: string) => {
    assert.equal(res.status, 503, `${what}: ${res.text}`);
    assert.equal(res.json.error.code, "unavailable", what);
    assert.ok(res.headers.get("retry-after"), what);
  };
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  // Not the tenants: the rebuild's tenant check reads them within the ordinary deadline.
  const holder = sql.begin(async (tx) => {
    await tx`lock table switchyard.relay_state, bank.customers, bank.accounts, bank.balances in access exclusive mode`;
    locked();
    await held;
  });
  try {
    await isLocked;
    // Alone, each waits on the lock until the batch deadline (10 s), not the 5 s of one request.
    const atDeadline = (t: Awaited<ReturnType<typeof timed>>, what: string) => {
      unavailable(t, what);
      assert.ok(
        t.took >= DB_BATCH_DEADLINE_MS - 500 && t.took < DB_BATCH_DEADLINE_MS + 5_000,
        `${what} took ${t.took} ms`,
      );
    };
    atDeadline(await timed(handover), "hand-over");
    // The deadline's probe cancels the statement the hand-over left waiting, and sweeps on while
    // statements wait: this page's is cancelled once it has waited as long, a 503 too, not a 500.
    const swept = await timed(rebuildPage);
    unavailable(swept, "rebuild page whose statement was cancelled");
    assert.ok(swept.took < DB_BATCH_DEADLINE_MS + 5_000, `took ${swept.took} ms`);
    await waitUntil(
      "no statement waits on the lock",
      async () =>
        (await sql<{ waiting: number }[]>`
        select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`)[0].waiting === 0,
    );
    await sleep(2_500); // the sweep has looked once more, found nothing, and stopped
    atDeadline(await timed(rebuildPage), "rebuild page");
  } finally {
    release();
    await holder;
  }
  try {
    // The server answered all along: nothing counted against the breaker, and both go through now.
    const accepted = await handover();
    assert.equal(accepted.status, 200, accepted.text);
    const [state] = await sql<{ last_seq: string }[]>`select last_seq from switchyard.relay_state`;
    assert.equal(Number(state.last_seq), Math.max(...events.map((e) => e.seq)));
    const rebuilt = await rebuildPage();
    assert.equal(rebuilt.status, 200, rebuilt.text);
    assert.equal(rebuilt.json.rebuilt, 3);
  } finally {
    await stack.close();
  }
});
