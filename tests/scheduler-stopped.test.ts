/** First attempts do not wait for the scheduler: the invocation that routes an event starts its delivery. */
import assert from "node:assert/strict";
import { bootStack } from "./stack-process.ts";
import { startReceiver } from "./receiver.ts";

Deno.test("with the scheduler process stopped (SIGSTOP), a new event still reaches its webhook; its retry waits for the scheduler", async () => {
  const stack = await bootStack();
  const receiver = startReceiver();
  const scheduler = stack.processes().find((p) => p.cmd.includes("workers/scheduler/main.ts"));
  try {
    assert.ok(scheduler, "npm start runs a scheduler");
    const admin = (path: string, body: unknown) =>
      fetch(`${stack.base}/admin${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${stack.env.SUPABASE_SERVICE_ROLE_KEY}`,
          "content-type": "application/json",
        },
        body: JSON.stringify(body),
      });
    const ep = await admin("/endpoints", {
      tenant: stack.env.SWITCHYARD_DEMO_TENANT,
      url: `${receiver.url}/hook`,
      events: ["order.*"],
    });
    assert.equal(ep.status, 201, await ep.text());
    Deno.kill(scheduler.pid, "SIGSTOP");
    const res = await fetch(`${stack.base}/api/events`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stack.env.SWITCHYARD_DEMO_API_KEY}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ type: "order.confirmed", entity: { type: "order", id: "o-1" } }),
    });
    assert.equal(res.status, 202, await res.text());
    const [got] = await receiver.waitFor(1, 15_000);
    assert.equal(JSON.parse(got.body).entity.id, "o-1");

    // A retry is the scheduler's to wake: the first try fails, the second comes once it runs again.
    receiver.respond((_r, i) => (i === 1 ? { status: 500 } : undefined));
    const second = await fetch(`${stack.base}/api/events`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stack.env.SWITCHYARD_DEMO_API_KEY}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ type: "order.confirmed", entity: { type: "order", id: "o-2" } }),
    });
    assert.equal(second.status, 202, await second.text());
    // The stack's own log says where o-2 stopped, should it not arrive.
    await receiver.waitFor(2, 15_000).catch((err) => {
      throw new Error(`${err.message}\n${stack.output().slice(-4000)}`);
    });
    Deno.kill(scheduler.pid, "SIGCONT");
    const all = await receiver.waitFor(3, 30_000);
    assert.equal(all[2].headers["webhook-id"], all[1].headers["webhook-id"], "the retry of o-2");
  } finally {
    if (scheduler) Deno.kill(scheduler.pid, "SIGCONT");
    await receiver.close();
    await stack.stop();
  }
});
