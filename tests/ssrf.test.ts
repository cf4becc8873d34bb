import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { startReceiver } from "./receiver.ts";
import {
  emitAndRoute,
  orderEvent,
  runScheduledDeliveries,
  withDeliveryStack,
} from "./delivery-fixtures.ts";
import { loadConfig } from "../functions/_shared/config.ts";
import { createContext } from "../functions/_shared/context.ts";
import { createLogger } from "../functions/_shared/log.ts";
import { waitUntil } from "./wait.ts";

Deno.test("without the override, endpoints at 127.0.0.1 and at localhost are refused at registration and at send time", async () => {
  const stack = await startStack({
    store: "memory",
    env: { SWITCHYARD_ALLOW_PRIVATE_TARGETS: "0" },
  });
  const receiver = startReceiver();
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const admin = client(stack.base, SERVICE_KEY);
    for (
      const url of [
        receiver.url,
        `http://localhost:${receiver.port}/`,
        `http://[::ffff:127.0.0.1]:${receiver.port}/`,
      ]
    ) {
      const res = await admin("POST", "/admin/endpoints", { tenant: slug, url, events: ["*"] });
      assert.equal(res.status, 400, url);
      assert.equal(res.json.error.details[0].path, "url");
      assert.match(res.json.error.details[0].message, /loopback/);
    }
    assert.equal((await stack.db.sql`select count(*)::int as n from switchyard.endpoints`)[0].n, 0);

    // Registered while allowed, sent while not: refused again at send time, never sent, dead at once.
    const allowed = createContext(
      loadConfig({ ...stack.env, SWITCHYARD_ALLOW_PRIVATE_TARGETS: "1" }),
      { sql: stack.db.sql, log: createLogger("t", { level: "error" }) },
    );
    const { createEndpoint } = await import("../functions/_shared/delivery/endpoints.ts");
    const { endpointInputSchema } = await import(
      "../functions/_shared/delivery/endpoint-schema.ts"
    );
    await createEndpoint(
      allowed,
      endpointInputSchema.parse({
        tenant: slug,
        url: `http://localhost:${receiver.port}/`,
        events: ["*"],
      }),
    );
    const worker = runScheduledDeliveries(stack.ctx);
    try {
      await emitAndRoute(stack.db.sql, [orderEvent(slug, "o-1")]);
      const [dl] = await waitUntil("a dead letter", async () => {
        const items = (await admin("GET", `/admin/dlq?tenant=${slug}`)).json.items;
        return items.length > 0 && items;
      });
      assert.match(dl.reason, /target refused: localhost is a loopback name/);
      assert.equal(dl.tries, 1);
      assert.equal(receiver.requests.length, 0);
    } finally {
      await worker.stop();
    }
  } finally {
    await receiver.close();
    await stack.close();
  }
});

Deno.test("with SWITCHYARD_ALLOW_PRIVATE_TARGETS=1, loopback endpoints by address and by name work", async () => {
  await withDeliveryStack({}, async ({ receiver, slug, sql, endpoint }) => {
    for (const url of [`${receiver.url}/ip`, `http://localhost:${receiver.port}/name`]) {
      await endpoint({ url });
    }
    await emitAndRoute(sql, [orderEvent(slug, "o-1")]);
    const reqs = await receiver.waitFor(2);
    assert.deepEqual(reqs.map((r) => r.path).sort(), ["/ip", "/name"]);
  });
});
