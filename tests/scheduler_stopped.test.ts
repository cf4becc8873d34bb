/** First attempts do not wait for the scheduler: the invocation that routes an event starts its delivery. */
import assert from "node:assert/strict";
import { bootStack } from "./stack_process.ts";
import { startReceiver } from "./receiver.ts";

Deno.test("with the scheduler process stopped (SIGSTOP), a new event still reaches its webhook", async () => {
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
  } finally {
    if (scheduler) Deno.kill(scheduler.pid, "SIGCONT");
    await receiver.close();
    await stack.stop();
  }
});
