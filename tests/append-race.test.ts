import assert from "node:assert/strict";
import { seedTenant, testDatabase } from "./harness.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";

Deno.test("concurrent appends of one dedup key write one event, answer all with it, and leave no version gap", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    const event = (dedupKey: string) => ({
      tenant: slug,
      type: "order.paid",
      entity: { type: "order", id: "o-1" },
      dedupKey,
    });
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => appendEvents(db.sql, [event(`pay-${round}`)])),
      );
      const ids = new Set(answers.map(([a]) => a.id));
      assert.equal(ids.size, 1, "every racer gets the same event");
      assert.equal(answers.filter(([a]) => !a.duplicate).length, 1, "exactly one racer wrote it");
    }
    const versions = await db.sql<{ version: number }[]>`
      select version from switchyard.events where tenant = ${slug} order by version`;
    assert.deepEqual(
      versions.map((v) => v.version),
      [1, 2, 3, 4, 5],
      "one event per key, versions gapless",
    );
    const [next] = await appendEvents(db.sql, [{ ...event("other"), dedupKey: null }]);
    assert.equal(next.version, 6);
  } finally {
    await db.drop();
  }
});
