/** The relay survives kill -9: nothing lost, per-entity order kept, and only one relay streams at a time. */
import assert from "node:assert/strict";
import { assertOrderPerIncarnation, withStreamingRelay, writeEvents } from "./relay-support.ts";
import { waitUntil } from "./wait.ts";
import { sleep } from "../functions/_shared/clock.ts";

Deno.test("kill -9 of the relay while 10,000 events are written: every event handed over, per-entity order intact", () =>
  withStreamingRelay(async ({ db, pipeline, slug, relay, spawn }) => {
    const writing = writeEvents(db.sql, slug, {
      total: 10_000,
      writers: 4,
      batch: 25,
      entities: 300,
    });
    await waitUntil("2,000 events handed over", () => pipeline.count() >= 2_000, 60_000);
    await relay.kill("SIGKILL");
    const beforeCrash = pipeline.count();
    const [{ written }] = await db.sql<
      { written: number }[]
    >`select count(*)::int as written from switchyard.events`;
    assert.ok(
      written < 10_000,
      `the relay died while events were still being written (${written})`,
    );
    await sleep(300);
    spawn();
    await writing;
    const ids = (await db.sql<{ id: string }[]>`select id from switchyard.events`).map((r) => r.id);
    assert.equal(ids.length, 10_000);
    await waitUntil("every event handed over", () => {
      const seen = pipeline.seenIds();
      return ids.every((id) => seen.has(id));
    }, 60_000);
    assertOrderPerIncarnation(pipeline.batches);
    assert.equal(new Set(pipeline.batches.map((b) => b.relayId)).size, 2);
    assert.equal(pipeline.seenIds().size, 10_000);
    assert.ok(beforeCrash < 10_000);
    // Redelivery is bounded by what was unacknowledged when the relay died.
    assert.ok(
      pipeline.count() - 10_000 <= 2 * 500 * 20,
      `duplicates: ${pipeline.count() - 10_000}`,
    );
  }));

Deno.test("a second relay waits while the first streams and takes over when the first is killed", () =>
  withStreamingRelay(async ({ db, pipeline, slug, relay: first, spawn }) => {
    const second = spawn();
    await second.waitForLog(/another relay holds the lock/);
    await writeEvents(db.sql, slug, { total: 200, writers: 2, batch: 20, entities: 20 });
    await waitUntil("200 events", () => pipeline.count() >= 200, 20_000);
    assert.equal(new Set(pipeline.batches.map((b) => b.relayId)).size, 1);
    assert.ok(!second.lines.some((l) => l.includes('"streaming"')));

    await first.kill("SIGKILL");
    await second.waitForLog(/"streaming"/);
    await writeEvents(db.sql, slug, { total: 200, writers: 2, batch: 20, entities: 20 });
    await waitUntil("400 events", () => pipeline.seenIds().size >= 400, 20_000);
    assert.equal(new Set(pipeline.batches.map((b) => b.relayId)).size, 2);
    assertOrderPerIncarnation(pipeline.batches);

    const third = spawn();
    await third.waitForLog(/another relay holds the lock/);
    assert.equal((await third.kill("SIGTERM")).code, 0, "a waiting relay stops cleanly on SIGTERM");
  }));

Deno.test("a relay keeps events while the pipeline fails and hands them over once it answers again", () =>
  withStreamingRelay(async ({ db, pipeline, slug, relay }) => {
    pipeline.state.fail = true;
    await writeEvents(db.sql, slug, { total: 300, writers: 1, batch: 30, entities: 10 });
    await relay.waitForLog(/hand-over failed; retrying/);
    assert.equal(pipeline.count(), 0);
    pipeline.state.fail = false;
    await waitUntil("300 events after recovery", () => pipeline.seenIds().size === 300, 20_000);
    assertOrderPerIncarnation(pipeline.batches);
  }));
