/** A database that stops answering: 503 with Retry-After, the breaker opens, and ingest recovers. */
import assert from "node:assert/strict";
import { client, seedTenant, startStack, testDatabase } from "./harness.ts";
import { freePort } from "../local/ports.ts";
import { waitUntil } from "./wait.ts";

/** Answers a connection as a Postgres that is starting up (SQLSTATE 57P03), then hangs up. */
async function refuse(conn: Deno.Conn) {
  const enc = new TextEncoder();
  const fields = enc.encode("SFATAL\0C57P03\0Mthe database system is starting up\0\0");
  const msg = new Uint8Array(5 + fields.length);
  msg[0] = "E".charCodeAt(0);
  new DataView(msg.buffer).setInt32(1, 4 + fields.length);
  msg.set(fields, 5);
  try {
    await conn.read(new Uint8Array(1024));
    await conn.write(msg);
  } catch { /* the client left */ }
  try {
    conn.close();
  } catch { /* already closed */ }
}

/** A TCP proxy in front of Postgres that can "kill" the database: it drops every connection and refuses new ones. */
function databaseProxy(targetPort: number) {
  const port = freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const open = new Set<Deno.Conn>();
  let dead = false;
  let attempts = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      attempts++;
      if (dead) {
        void refuse(conn);
        continue;
      }
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
      open.add(conn).add(upstream);
      const drop = () => {
        for (const c of [conn, upstream]) {
          open.delete(c);
          try {
            c.close();
          } catch { /* already closed */ }
        }
      };
      void Promise.allSettled([
        conn.readable.pipeTo(upstream.writable),
        upstream.readable.pipeTo(conn.writable),
      ]).then(drop);
    }
  })();
  return {
    port,
    get attempts() {
      return attempts;
    },
    kill() {
      dead = true;
      for (const c of open) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      open.clear();
    },
    revive() {
      dead = false;
    },
    async stop() {
      this.kill();
      listener.close();
      await accepting.catch(() => {});
    },
  };
}

Deno.test("with the database unreachable ingest answers 503 with Retry-After, the breaker opens, and ingest recovers", async () => {
  const db = await testDatabase();
  const proxy = databaseProxy(new URL(db.url).port ? Number(new URL(db.url).port) : 5432);
  const url = new URL(db.url);
  url.port = String(proxy.port);
  const stack = await startStack({ env: { DATABASE_URL: url.toString() } });
  try {
    const { key } = await seedTenant(db.sql);
    const api = client(`${stack.base}/api`, key);
    const event = { type: "order.created", entity: { type: "order", id: "o-1" } };
    assert.equal((await api("POST", "/events", event)).status, 202);

    proxy.kill();
    for (let i = 0; i < stack.ctx.breakers.db.failureThreshold; i++) {
      const res = await api("POST", "/events", event);
      assert.equal(res.status, 503);
      assert.equal(res.json.error.code, "unavailable");
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
    }
    assert.equal(stack.ctx.breakers.db.state, "open");

    const attemptsWhenOpen = proxy.attempts;
    for (let i = 0; i < 5; i++) {
      const res = await api("POST", "/events", event);
      assert.equal(res.status, 503);
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
    }
    assert.equal(
      proxy.attempts,
      attemptsWhenOpen,
      "an open breaker does not hammer the dead database",
    );

    proxy.revive();
    await waitUntil(
      "ingest to work again once the database is back",
      async () => (await api("POST", "/events", event)).status === 202,
      20_000,
    );
    assert.equal(stack.ctx.breakers.db.state, "closed");
    const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from switchyard.events`;
    assert.equal(n, 2, "only the accepted events are in the log");
  } finally {
    await stack.close();
    await proxy.stop();
    await db.drop();
  }
});
