import assert from "node:assert/strict";
import { handOver, type HandoverTarget } from "./send-batch.ts";
import { createLogger } from "../../functions/_shared/log.ts";
import { systemClock } from "../../functions/_shared/clock.ts";
import { withDeadline } from "../../functions/_shared/deadline.ts";
import type { LoggedEvent } from "../../functions/_shared/events/envelope.ts";

const event = {
  seq: 1,
  id: "evt_1",
  tenant: "acme",
  type: "order.confirmed",
  entity_type: "order",
  entity_id: "o-1",
  version: 1,
} as unknown as LoggedEvent;

/** A pipeline on 127.0.0.1 that answers each hand-over as `answer` says (null: never). */
function pipeline(answer: (i: number) => number | null) {
  const bodies: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const i = bodies.push(await req.text()) - 1;
      const status = answer(i);
      if (status === null) {
        await new Promise((resolve) => req.signal.addEventListener("abort", resolve));
        return new Response(null, { status: 504 });
      }
      return new Response("{}", { status });
    },
  );
  const target = (deadlineMs: number): HandoverTarget => ({
    url: `http://127.0.0.1:${server.addr.port}/functions/v1/pipeline/batch`,
    serviceKey: "service",
    relayId: "r1",
    clock: systemClock,
    log: createLogger("relay", { level: "error" }),
    deadlineMs,
  });
  return { bodies, target, close: () => server.shutdown() };
}

Deno.test("a hand-over the pipeline never answers is given up at its deadline and tried again", async () => {
  const p = pipeline((i) => (i === 0 ? null : 200));
  try {
    const started = performance.now();
    const stop = new AbortController();
    try {
      assert.equal(
        await withDeadline(handOver(p.target(300), [event], stop.signal), 5_000, "the hand-over"),
        true,
      );
    } finally {
      stop.abort();
    }
    assert.equal(p.bodies.length, 2, "one try that hung, one that was answered");
    assert.equal(p.bodies[1], p.bodies[0], "the same batch both times");
    assert.ok(performance.now() - started >= 300, "the first try waited for its deadline");
  } finally {
    await p.close();
  }
});

Deno.test("a refused hand-over (503) is retried until accepted; an aborted session ends it with false", async () => {
  const p = pipeline((i) => (i < 2 ? 503 : 200));
  try {
    assert.equal(await handOver(p.target(5_000), [event], new AbortController().signal), true);
    assert.equal(p.bodies.length, 3);
    const stopped = new AbortController();
    const hung = pipeline(() => null);
    try {
      const pending = handOver(hung.target(60_000), [event], stopped.signal);
      setTimeout(() => stopped.abort(), 100);
      assert.equal(await pending, false);
    } finally {
      await hung.close();
    }
  } finally {
    await p.close();
  }
});
