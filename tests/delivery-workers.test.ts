/** Deliveries run in function instances: several side by side never double-send, and a killed one loses nothing. */
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { startReceiver } from "./receiver.ts";
import { emitAndRoute, orderEvent, runScheduledDeliveries } from "./delivery-fixtures.ts";
import { freePort, waitForPort } from "../local/ports.ts";
import type { Queryable, Sql } from "../functions/_shared/db.ts";
import { waitUntil } from "./wait.ts";
import {
  configureDeliveries,
  deliverDue,
  stopDeliveries,
} from "../functions/_shared/pipeline/deliver.ts";
import { sleep } from "../functions/_shared/clock.ts";

const root = new URL("..", import.meta.url).pathname;

const pendingCount = async (sql: Sql) =>
  (await sql<
    { n: number }[]
  >`select count(*)::int as n from switchyard.deliveries where status <> 'delivered'`)[0].n;

/** Holds what `take` locks, in a transaction of its own, until `release`. */
async function holdLock(sql: Sql, take: (tx: Queryable) => Promise<unknown>) {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let taken = () => {};
  const lockTaken = new Promise<void>((resolve) => (taken = resolve));
  const ended = sql.begin(async (tx) => {
    await take(tx);
    taken();
    await held;
  });
  await lockTaken;
  return { release, ended };
}

/** Holds an endpoint's row as another instance's claim does while it claims: until `release`. */
const holdEndpoint = (sql: Sql, id: string) =>
  holdLock(sql, (tx) => tx`select id from switchyard.endpoints where id = ${id} for no key update`);

/** A function instance in its own process (`local/serve.ts`), as `npm start` runs them. */
async function functionInstance(env: Record<string, string>) {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", `${root}local/serve.ts`],
    env: { ...env, SWITCHYARD_PORT: String(port), LOG_LEVEL: "error" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitForPort(port);
  const deliver = () =>
    fetch(`http://127.0.0.1:${port}/functions/v1/pipeline/deliver`, {
      method: "POST",
      headers: { authorization: `Bearer ${SERVICE_KEY}` },
    }).then((r) => r.text()).catch(() => "");
  return { child, deliver };
}

Deno.test("two function instances woken side by side over 2,000 deliveries send each exactly once", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  const a = await functionInstance(stack.env);
  const b = await functionInstance(stack.env);
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const admin = client(stack.base, SERVICE_KEY);
    for (let i = 0; i < 4; i++) {
      assert.equal(
        (await admin("POST", "/admin/endpoints", {
          tenant: slug,
          url: `${receiver.url}/e${i}`,
          events: ["order.*"],
        })).status,
        201,
      );
    }
    for (let n = 0; n < 5; n++) {
      await emitAndRoute(
        stack.db.sql,
        Array.from({ length: 100 }, (_, i) => orderEvent(slug, `o-${n}-${i}`)),
      );
    }
    await waitUntil("all recorded", async () => {
      await Promise.all([a.deliver(), b.deliver(), a.deliver(), b.deliver()]);
      return (await pendingCount(stack.db.sql)) === 0;
    }, 90_000);
    const ids = receiver.requests.map((r) => r.headers["webhook-id"]);
    assert.equal(ids.length, 2000);
    assert.equal(new Set(ids).size, 2000, "no delivery was sent twice");
    const [{ n }] = await stack.db.sql`select count(*)::int as n from switchyard.delivery_attempts`;
    assert.equal(n, 2000);
  } finally {
    for (const p of [a, b]) {
      p.child.kill("SIGTERM");
      await p.child.status;
    }
    await receiver.close();
    await stack.close();
  }
});

Deno.test("kill -9 of a function instance mid-drain: its claims come back and every delivery is made", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  receiver.respond(() => ({ delayMs: 300 }));
  const victim = await functionInstance({ ...stack.env, DELIVERY_LEASE_MARGIN_MS: "500" });
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const admin = client(stack.base, SERVICE_KEY);
    await admin("POST", "/admin/endpoints", {
      tenant: slug,
      url: receiver.url,
      events: ["*"],
      timeoutMs: 1000,
    });
    await emitAndRoute(
      stack.db.sql,
      Array.from({ length: 300 }, (_, i) => orderEvent(slug, `o-${i}`)),
    );
    void victim.deliver();
    await receiver.waitFor(20, 30_000);
    victim.child.kill("SIGKILL");
    await victim.child.status;
    const sentBeforeKill = new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size;
    assert.ok(await pendingCount(stack.db.sql) > 0, "the kill left work undone");
    receiver.respond(() => undefined);
    const scheduled = runScheduledDeliveries(stack.ctx, { leaseMarginMs: 500 });
    try {
      await waitUntil(
        "all delivered",
        async () => (await pendingCount(stack.db.sql)) === 0,
        60_000,
      );
      const ids = new Set(receiver.requests.map((r) => r.headers["webhook-id"]));
      assert.equal(ids.size, 300, `every delivery arrived (${sentBeforeKill} before the kill)`);
    } finally {
      await scheduled.stop();
    }
  } finally {
    try {
      victim.child.kill("SIGKILL");
    } catch { /* gone */ }
    await receiver.close();
    await stack.close();
  }
});

Deno.test("SIGTERM of a function instance mid-drain: it claims no more, and what it was sending is recorded before it exits", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  receiver.respond(() => ({ delayMs: 300 }));
  const instance = await functionInstance(stack.env);
  try {
    const { slug } = await seedTenant(stack.db.sql);
    await client(stack.base, SERVICE_KEY)("POST", "/admin/endpoints", {
      tenant: slug,
      url: receiver.url,
      events: ["*"],
    });
    await emitAndRoute(
      stack.db.sql,
      Array.from({ length: 200 }, (_, i) => orderEvent(slug, `o-${i}`)),
    );
    void instance.deliver();
    await receiver.waitFor(5, 30_000);
    instance.child.kill("SIGTERM");
    assert.equal((await instance.child.status).code, 0, "a clean exit");
    const sent = new Set(receiver.requests.map((r) => r.headers["webhook-id"]));
    const [left] = await stack.db.sql<{ leased: number; claims: number; delivered: number }[]>`
      select (select count(*)::int from switchyard.deliveries where lease is not null) as leased,
        (select count(*)::int from switchyard.delivery_claims) as claims,
        (select count(*)::int from switchyard.deliveries where status = 'delivered') as delivered`;
    assert.deepEqual(
      { leased: left.leased, claims: left.claims },
      { leased: 0, claims: 0 },
      "no claim is left to run out",
    );
    assert.equal(left.delivered, sent.size, "every send it made was recorded as delivered");
    assert.ok(left.delivered < 200, "it stopped claiming");
  } finally {
    try {
      instance.child.kill("SIGKILL");
    } catch { /* gone */ }
    await receiver.close();
    await stack.close();
  }
});

Deno.test("a drain that finds its endpoint being claimed by another instance looks again: what woke it goes out without the scheduler", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const res = await client(stack.base, SERVICE_KEY)("POST", "/admin/endpoints", {
      tenant: slug,
      url: receiver.url,
      events: ["*"],
    });
    assert.equal(res.status, 201, res.text);
    await emitAndRoute(stack.db.sql, [orderEvent(slug, "o-1")]);
    // Another instance's claim holds the endpoint's row (a claim skips it) and saw nothing due.
    const claim = await holdEndpoint(stack.db.sql, res.json.id);
    const drained = deliverDue(stack.ctx);
    setTimeout(claim.release, 50);
    await claim.ended;
    const [got] = await receiver.waitFor(1, 5_000);
    assert.equal(JSON.parse(got.body).entity.id, "o-1");
    assert.equal(await drained, Infinity, "nothing is left due");
  } finally {
    await stopDeliveries(stack.ctx);
    await receiver.close();
    await stack.close();
  }
});

Deno.test("a drain pausing to look again does not hold back an event routed meanwhile to another endpoint", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  // A pause far longer than the test waits: only the cut-short pause can deliver in time.
  configureDeliveries(stack.ctx, { lookAgainMs: [60_000] });
  let release = () => {};
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const api = client(stack.base, SERVICE_KEY);
    const busy = await api("POST", "/admin/endpoints", {
      tenant: slug,
      url: receiver.url,
      events: ["order.confirmed"],
    });
    const healthy = await api("POST", "/admin/endpoints", {
      tenant: slug,
      url: receiver.url,
      events: ["order.updated"],
    });
    assert.equal(busy.status, 201, busy.text);
    assert.equal(healthy.status, 201, healthy.text);
    await emitAndRoute(stack.db.sql, [orderEvent(slug, "o-1")]);
    // Another instance's claim holds the busy endpoint's row, so this drain ends with o-1 due.
    const claim = await holdEndpoint(stack.db.sql, busy.json.id);
    release = claim.release;
    const drained = deliverDue(stack.ctx);
    await sleep(500); // the drain over one skipped endpoint ends in milliseconds, then pauses
    await emitAndRoute(stack.db.sql, [orderEvent(slug, "o-2", "order.updated")]);
    void deliverDue(stack.ctx); // as the pipeline's hand-over does
    const [got] = await receiver.waitFor(1, 10_000);
    assert.equal(JSON.parse(got.body).entity.id, "o-2");
    claim.release();
    await claim.ended;
    deliverDue(stack.ctx);
    const all = await receiver.waitFor(2, 10_000);
    assert.equal(JSON.parse(all[1].body).entity.id, "o-1");
    await drained;
  } finally {
    release();
    await stopDeliveries(stack.ctx);
    await receiver.close();
    await stack.close();
  }
});

Deno.test("a finished send frees its endpoint slot before its outcome is recorded: a slow recording does not cap the endpoint", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  configureDeliveries(stack.ctx, { endpointInFlight: 2 });
  let release = () => {};
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const res = await client(stack.base, SERVICE_KEY)("POST", "/admin/endpoints", {
      tenant: slug,
      url: receiver.url,
      events: ["*"],
    });
    assert.equal(res.status, 201, res.text);
    await emitAndRoute(
      stack.db.sql,
      Array.from({ length: 6 }, (_, i) => orderEvent(slug, `o-${i}`)),
    );
    // Recording stalls (its attempts cannot be written while this lock is held); claims write none.
    const recording = await holdLock(
      stack.db.sql,
      (tx) => tx`lock table switchyard.delivery_attempts in share mode`,
    );
    release = recording.release;
    const drained = deliverDue(stack.ctx);
    // Two at a time, woken as the pipeline's hand-overs would: every send settles, none is recorded.
    await waitUntil("all six sent while none is recorded", () => {
      void deliverDue(stack.ctx);
      return receiver.requests.length >= 6;
    }, 4_000);
    assert.equal(await pendingCount(stack.db.sql), 6, "no outcome was recorded meanwhile");
    recording.release();
    await recording.ended;
    await drained;
    assert.equal(await pendingCount(stack.db.sql), 0, "every outcome is recorded");
    const ids = receiver.requests.map((r) => JSON.parse(r.body).entity.id).sort();
    assert.deepEqual(ids, ["o-0", "o-1", "o-2", "o-3", "o-4", "o-5"], "each sent once");
  } finally {
    release();
    await stopDeliveries(stack.ctx);
    await receiver.close();
    await stack.close();
  }
});
