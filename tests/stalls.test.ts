/**
 * Stuck states are visible: a relay that is connected but not advancing (SIGSTOP) while events
 * wait, and deliveries that are due while nothing claims them, show in /health and as alert events.
 */
import assert from "node:assert/strict";
import { seedTenant, startStack } from "./harness.ts";
import {
  emitAndRoute,
  orderEvent,
  runScheduledDeliveries,
  withDeliveryStack,
} from "./delivery-fixtures.ts";
import { staysTrue, waitUntil } from "./wait.ts";
import { relayEnv, startRelay, writeEvents } from "./relay-support.ts";
import { evaluateAlerts } from "../functions/_shared/metrics/alerts.ts";

import type { Health } from "../functions/_shared/health.ts";

const STALL = { SWITCHYARD_STALL_MS: "1000" };

const health = async (base: string): Promise<Health> =>
  await (await fetch(`${base}/api/health`)).json();

Deno.test("deliveries due while nothing claims them show as stalled in health and raise an alert, until they are sent", () =>
  withDeliveryStack(
    { worker: false, env: STALL },
    async ({ stack, slug, sql, endpoint, receiver }) => {
      await endpoint();
      await emitAndRoute(sql, [orderEvent(slug, "o-1")]);
      const stalled = await waitUntil("health says deliveries are stalled", async () => {
        const h = await health(stack.base);
        return h.checks.deliveries.stalled && h;
      });
      assert.equal(stalled.status, "degraded");
      const round = await evaluateAlerts(stack.ctx);
      assert.ok(
        round.fired.includes("deliveries_stalled|*|deliveries:progress"),
        JSON.stringify(round),
      );
      const [alert] = await sql<{ tenant: string; data: { kind: string } }[]>`
      select tenant, data from switchyard.events where type = 'alert.deliveries_stalled'`;
      assert.equal(alert.tenant, slug);

      const worker = runScheduledDeliveries(stack.ctx);
      try {
        await waitUntil("the delivery arrived", () => receiver.requests.length > 0);
        await waitUntil(
          "health no longer says stalled",
          async () => !(await health(stack.base)).checks.deliveries.stalled,
        );
        const after = await evaluateAlerts(stack.ctx);
        assert.ok(after.resolved.includes("deliveries_stalled|*|deliveries:progress"));
      } finally {
        await worker.stop();
      }
    },
  ));

Deno.test("an ordered endpoint's event held back behind its entity's retry is waiting, not stalled", () =>
  withDeliveryStack(
    { worker: false, env: STALL },
    async ({ stack, slug, sql, endpoint }) => {
      await endpoint({ ordered: true });
      await emitAndRoute(sql, [orderEvent(slug, "o-1"), orderEvent(slug, "o-1")]);
      // Version 1 failed and waits for its retry in an hour; version 2 is due but held back.
      await sql`update switchyard.deliveries set due_at = now() + interval '1 hour', tries = 1
        where version = 1`;
      await staysTrue("health says nothing is stalled", async () => {
        const h = await health(stack.base);
        return !h.checks.deliveries.stalled && h.checks.deliveries.oldestDueMs === null;
      }, 2_000);
    },
  ));

Deno.test({
  name:
    "a relay that is connected but not advancing while events wait shows as stalled, and not once it moves again",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stack = await startStack({ store: "memory", env: STALL });
    const relay = startRelay(
      relayEnv(stack.db.url, stack.env.SUPABASE_URL, stack.db.name, STALL),
    );
    const { sql } = stack.db;
    try {
      const { slug } = await seedTenant(sql);
      await writeEvents(sql, slug, { total: 10, writers: 1, batch: 10, entities: 2 });
      await waitUntil("the relay streams", async () => {
        const h = await health(stack.base);
        return h.checks.relay.lagEvents === 0 && h.checks.relay.status === "ok";
      }, 30_000);
      assert.equal((await health(stack.base)).checks.relay.stalled, false);

      Deno.kill(relay.process.pid, "SIGSTOP");
      await writeEvents(sql, slug, { total: 10, writers: 1, batch: 10, entities: 2 });
      const stalled = await waitUntil("health says the relay is stalled", async () => {
        const h = await health(stack.base);
        return h.checks.relay.stalled && h;
      });
      assert.equal(stalled.checks.relay.status, "degraded");
      const round = await evaluateAlerts(stack.ctx);
      assert.ok(round.fired.includes("relay_stalled|*|relay:progress"), JSON.stringify(round));

      Deno.kill(relay.process.pid, "SIGCONT");
      await waitUntil("the relay moves again", async () => {
        const h = await health(stack.base);
        return h.checks.relay.lagEvents === 0 && !h.checks.relay.stalled;
      }, 30_000);
    } finally {
      try {
        Deno.kill(relay.process.pid, "SIGCONT");
      } catch { /* gone */ }
      await relay.kill();
      await stack.close();
    }
  },
});
