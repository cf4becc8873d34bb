/**
 * Revocation across function instances: two separate function server processes share one database;
 * a key revoked (or a tenant disabled) through one is refused by both on the very next request.
 */
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, testDatabase } from "./harness.ts";
import { waitUntil } from "./wait.ts";
import { freePort } from "../local/ports.ts";

/** `local/serve.ts` as its own process, the way `npm start` runs each function instance. */
function functionServer(databaseUrl: string) {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../local/serve.ts", import.meta.url).pathname],
    env: {
      DATABASE_URL: databaseUrl,
      SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
      SWITCHYARD_PORT: String(port),
      SWITCHYARD_EXIT_WITH_PARENT: "1",
      LOG_LEVEL: "error",
    },
    stdin: "piped",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const base = `http://127.0.0.1:${port}/functions/v1`;
  return {
    base,
    ready: () =>
      waitUntil(
        `the function server on ${port}`,
        () =>
          fetch(`${base}/api/health`).then((r) => r.body?.cancel().then(() => true), () => false),
        30_000,
      ),
    async stop() {
      child.kill("SIGTERM");
      await child.stdin.close().catch(() => {});
      await child.status;
    },
  };
}

const event = (id: string) => ({ type: "order.created", entity: { type: "order", id } });

Deno.test("a revoked key and a disabled tenant are refused at once by every function instance", async () => {
  const db = await testDatabase();
  const one = functionServer(db.url);
  const two = functionServer(db.url);
  try {
    await Promise.all([one.ready(), two.ready()]);
    const revoked = await seedTenant(db.sql);
    const disabled = await seedTenant(db.sql);
    const [keyRow] = await db.sql<{ id: string }[]>`
      select id from switchyard.api_keys where tenant = ${revoked.slug}`;
    const servers = [one, two];
    // Both instances have seen (and, before this change, cached) both keys.
    for (const s of servers) {
      for (const t of [revoked, disabled]) {
        assert.equal(
          (await client(`${s.base}/api`, t.key)("POST", "/events", event("o-1"))).status,
          202,
        );
      }
    }

    const admin = client(`${one.base}/admin`, SERVICE_KEY);
    assert.equal((await admin("POST", `/keys/${keyRow.id}/revoke`)).status, 200);
    assert.equal((await admin("POST", `/tenants/${disabled.slug}/disable`)).status, 200);

    for (const s of servers) {
      const afterRevoke = await client(`${s.base}/api`, revoked.key)(
        "POST",
        "/events",
        event("o-2"),
      );
      assert.equal(afterRevoke.status, 401, `${s.base}: the revoked key`);
      assert.equal(afterRevoke.json.error.code, "unauthorized");
      const read = await client(`${s.base}/api`, revoked.key)("GET", "/events");
      assert.equal(read.status, 401, `${s.base}: reads with the revoked key`);
      const afterDisable = await client(`${s.base}/api`, disabled.key)(
        "POST",
        "/events",
        event("o-2"),
      );
      assert.equal(afterDisable.status, 403, `${s.base}: the disabled tenant's key`);
      assert.equal(afterDisable.json.error.code, "forbidden");
    }
    const [{ n }] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from switchyard.events where entity_id = 'o-2'`;
    assert.equal(n, 0, "nothing was written after the revocation");
  } finally {
    await Promise.all([one.stop(), two.stop()]);
    await db.drop();
  }
});
