/**
 * The ERP example end to end, as `npm start -- --example erp-integration` runs it: work orders
 * captured from the maintenance table reach three ERPs over REST, SOAP and GraphQL; the SOAP one goes
 * down, its deliveries dead-letter while the others keep flowing, and one replay delivers them.
 */
import assert from "node:assert/strict";
import { client, SERVICE_KEY, startStack } from "../../tests/harness.ts";
import { relayEnv, startRelay } from "../../tests/relay-support.ts";
import { spawn } from "../../local/process.ts";
import { startErpExample } from "./setup.ts";
import type { FakeErp } from "./erps/server.ts";
import { waitUntil } from "../../tests/wait.ts";

const scheduler = new URL("../../workers/scheduler/main.ts", import.meta.url).pathname;

Deno.test("erp-integration: three connectors deliver work orders; a down ERP's dead letters are delivered by one replay", async () => {
  const stack = await startStack();
  const x = await startErpExample({
    env: stack.env,
    ports: { maintenance: 0, console: 0, rest: 0, soap: 0, graphql: 0 },
  });
  const relay = startRelay(relayEnv(stack.db.url, stack.env.SUPABASE_URL, stack.db.name));
  const worker = await spawn("scheduler", Deno.execPath(), {
    args: ["run", "-A", "--no-check", scheduler],
    env: stack.env,
    output: "null",
  });
  const admin = client(stack.base, SERVICE_KEY);
  const maintenance = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${x.maintenance.url}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
    return res.status;
  };
  const erp = (tenant: string) => x.erps.find((e) => e.tenant === tenant)!;
  const holds = (e: FakeErp, id: string, status: string, revision: number) =>
    e.workOrders()[id]?.status === status && e.workOrders()[id]?.revision === revision;
  const tenants = ["acme", "globex", "initech"];
  try {
    await relay.waitForLog(/"streaming"/);

    for (const [i, tenant] of tenants.entries()) {
      assert.equal(
        await maintenance("POST", "/work-orders", {
          tenant,
          workOrderId: "WO-1",
          asset: `Pump P-10${i} <A&B>`,
          priority: "HIGH",
        }),
        201,
      );
    }
    await waitUntil(
      "WO-1 at every ERP",
      () => tenants.every((t) => holds(erp(t), "WO-1", "OPEN", 1)),
      30_000,
    );
    assert.equal(erp("acme").workOrders()["WO-1"].asset, "Pump P-100 <A&B>");
    assert.equal(
      erp("globex").workOrders()["WO-1"].asset,
      "Pump P-101 <A&B>",
      "XML-escaped in the envelope, read back intact",
    );

    await fetch(`${x.console.url}/erps/globex/down`, { method: "POST" }).then((r) =>
      r.body?.cancel()
    );
    for (const tenant of tenants) {
      assert.equal(
        await maintenance("POST", "/work-orders", {
          tenant,
          workOrderId: "WO-2",
          asset: "Chiller CH-1",
          dueDate: "2026-12-01",
        }),
        201,
      );
      assert.equal(
        await maintenance("PATCH", `/work-orders/${tenant}/WO-1`, { status: "IN_PROGRESS" }),
        200,
      );
    }
    // The other two keep flowing while globex's deliveries use up their tries.
    await waitUntil(
      "acme and initech to get WO-2 and the WO-1 update",
      () =>
        ["acme", "initech"].every((t) =>
          holds(erp(t), "WO-1", "IN_PROGRESS", 2) && holds(erp(t), "WO-2", "OPEN", 1)
        ),
      30_000,
    );
    const deadLetters = async (tenant: string) =>
      (await admin("GET", `/admin/dlq?tenant=${tenant}`)).json.items as unknown[];
    await waitUntil(
      "globex's two deliveries to dead-letter",
      async () => (await deadLetters("globex")).length === 2,
      30_000,
    );
    assert.deepEqual([(await deadLetters("acme")).length, (await deadLetters("initech")).length], [
      0,
      0,
    ]);
    assert.equal(erp("globex").received.length, 1, "globex got only WO-1 before it went down");

    await fetch(`${x.console.url}/erps/globex/up`, { method: "POST" }).then((r) =>
      r.body?.cancel()
    );
    const replay = await admin("POST", "/admin/dlq/replay", { all: true, tenant: "globex" });
    assert.deepEqual(replay.json, { replayed: 2 });
    await waitUntil(
      "the replay to reach globex",
      () =>
        holds(erp("globex"), "WO-1", "IN_PROGRESS", 2) && holds(erp("globex"), "WO-2", "OPEN", 1),
      30_000,
    );
    assert.equal((await deadLetters("globex")).length, 0);

    for (const e of x.erps) {
      assert.deepEqual(e.refusals, [], `${e.tenant}'s ERP accepted every request it got`);
    }
    const [{ pending }] = await stack.db.sql<{ pending: number }[]>`
      select count(*) filter (where status <> 'delivered')::int as pending from switchyard.deliveries`;
    assert.equal(pending, 0);
  } finally {
    await worker.stop();
    await relay.kill("SIGTERM");
    await x.stop();
    await stack.close();
  }
});
