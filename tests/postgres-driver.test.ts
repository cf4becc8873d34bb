/**
 * The Postgres driver when a server connection dies under it (a restart, a killed backend): the
 * queries on that connection fail with an error their callers catch, and the process lives on.
 * postgres.js 3.4.9 threw from a setImmediate instead and killed the process; local/patch-deps.mjs
 * fixes it at `npm install`. Without the patch the first test dies with an uncaught TypeError.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { testDatabase } from "./harness.ts";
import { createSql } from "../functions/_shared/db.ts";
import { waitUntil } from "./wait.ts";

Deno.test("a query on a connection whose backend was terminated is rejected with CONNECTION_CLOSED, and the process lives on", async () => {
  const db = await testDatabase();
  // A reserved connection stays this connection after its backend died, so its next (small) write
  // always meets the closed socket: the failure, deterministic.
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  try {
    const reserved = await sql.reserve();
    const [{ pid }] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
    await db.sql`select pg_terminate_backend(${pid})`;
    // Every query on it fails from now on: first with the server's notice or a closed socket, then,
    // once the client has seen the close, with the closed socket the unpatched driver crashed on.
    const codes: string[] = [];
    await waitUntil("a query meets the closed socket", async () => {
      const err = await reserved`select 1`.then(() => null, (e: Error & { code?: string }) => e);
      assert.ok(err, "a query on the dead connection answered");
      codes.push(err.code ?? err.message);
      return codes.at(-1) === "CONNECTION_CLOSED";
    });
    for (let i = 0; i < 3; i++) {
      await assert.rejects(reserved`select 1`, (err: Error & { code?: string }) => {
        assert.equal(err.code, "CONNECTION_CLOSED");
        return true;
      });
    }
    // The process is still here, and the rest of the pool answers.
    const [{ one }] = await sql<{ one: number }[]>`select 1 as one`;
    assert.equal(one, 1);
  } finally {
    await sql.end({ timeout: 1 });
    await db.drop();
  }
});

Deno.test("the pool answers again after every one of its backends was terminated in the middle of queries", async () => {
  const db = await testDatabase();
  const sql = createSql(db.url, { max: 4 });
  try {
    for (let round = 0; round < 5; round++) {
      // Each connection busy (and small writes queued behind it) when its backend goes.
      const queries = Array.from(
        { length: 12 },
        (_, i) => sql`select pg_sleep(0.05), ${i}::int as i`.then(() => "ok", (err: Error) => err),
      );
      await waitUntil(
        "the queries run",
        async () =>
          (await db.sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and query like '%pg_sleep(0.05)%'
            and pid <> pg_backend_pid()`)[0].n > 0,
      );
      await db.sql`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and application_name <> 'psql'
          and backend_type = 'client backend' and query like '%pg_sleep(0.05)%'`;
      for (const r of await Promise.all(queries)) {
        if (r !== "ok") assert.ok(r instanceof Error, `round ${round}: ${String(r)}`);
      }
      // A connection whose backend went may fail one more query (the termination notice arrives
      // with it); then each of the pool's connections has reconnected.
      let answered = 0;
      for (let i = 0; i < 4 + 4 && answered < 4; i++) {
        await sql`select 1`.then(() => answered++, () => {});
      }
      assert.equal(answered, 4, `round ${round}: the pool answers again`);
    }
  } finally {
    await sql.end({ timeout: 1 });
    await db.drop();
  }
});
