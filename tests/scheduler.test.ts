/** The scheduler: retention prunes old events in batches; the process starts and stops cleanly. */
import assert from "node:assert/strict";
import { seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { retentionJob } from "../workers/scheduler/jobs/retention.ts";
import { writeEvents } from "./relay-support.ts";

Deno.test("retention removes events older than RETENTION_DAYS and keeps the rest", async () => {
  const stack = await startStack({ store: "memory", env: { RETENTION_DAYS: "7" } });
  try {
    const { slug } = await seedTenant(stack.db.sql);
    await writeEvents(stack.db.sql, slug, {
      total: 12_000,
      writers: 2,
      batch: 1_000,
      entities: 100,
    });
    await stack.db
      .sql`update switchyard.events set recorded_at = now() - interval '8 days' where seq % 3 <> 0`;
    const delay = await retentionJob.run(stack.ctx);
    assert.equal(delay, 3_600_000);
    const [{ left, old }] = await stack.db.sql<{ left: number; old: number }[]>`
      select count(*)::int as left, count(*) filter (where recorded_at < now() - interval '7 days')::int as old
      from switchyard.events`;
    assert.equal(old, 0);
    assert.equal(left, 4_000);
  } finally {
    await stack.close();
  }
});

Deno.test("the scheduler process starts and stops on SIGTERM", async () => {
  const stack = await startStack({ store: "memory" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "workers/scheduler/main.ts"],
      env: { ...stack.env, SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY, LOG_LEVEL: "info" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("scheduler started")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    assert.ok(out.includes("scheduler started"), out);
    child.kill("SIGTERM");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 0, out);
    assert.ok(out.includes("scheduler stopped"), out);
  } finally {
    await stack.close();
  }
});
