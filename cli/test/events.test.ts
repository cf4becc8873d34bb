import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { background, cli, sendEvents, type Stack, startStack, tenantWithKey } from "./stack.ts";

let stack: Stack;
let tenant: { slug: string; key: string };
before(async () => {
  stack = await startStack();
  tenant = await tenantWithKey("ev");
  await sendEvents(stack, tenant.key, [
    { type: "order.created", entity: { type: "order", id: "o-1" }, data: { total: 10 } },
    { type: "order.confirmed", entity: { type: "order", id: "o-1" }, data: { total: 10 } },
    { type: "product.updated", entity: { type: "product", id: "p-1" }, data: { price: 3 } },
  ]);
});
after(() => stack?.stop());

describe("events list", () => {
  it("lists a tenant's events newest first in a table", async () => {
    const r = await cli("events", "list", "--tenant", tenant.slug);
    assert.equal(r.exit, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0], /^TIMESTAMP\s+TENANT\s+TYPE\s+ENTITY\s+V\s+ID\s+DATA$/);
    assert.equal(lines.length, 4);
    assert.match(lines[1], /product\.updated\s+product:p-1/);
  });

  it("--json gives {items: [envelope], nextCursor} and filters by type pattern and entity", async () => {
    const r = await cli(
      "events",
      "list",
      "--tenant",
      tenant.slug,
      "--type",
      "order.*",
      "--entity",
      "order:o-1",
      "--from",
      "1h",
      "--json",
    );
    assert.equal(r.exit, 0, r.stderr);
    assert.deepEqual(Object.keys(r.json).sort(), ["items", "nextCursor"]);
    assert.deepEqual(r.json.items.map((e: { type: string }) => e.type), [
      "order.confirmed",
      "order.created",
    ]);
    assert.deepEqual(Object.keys(r.json.items[0]).sort(), [
      "causationId",
      "correlationId",
      "data",
      "dedupKey",
      "entity",
      "id",
      "metadata",
      "recordedAt",
      "tenant",
      "timestamp",
      "type",
      "version",
    ]);
  });

  it("pages with --limit and --cursor", async () => {
    const first = await cli("events", "list", "--tenant", tenant.slug, "--limit", "2", "--json");
    assert.equal(first.json.items.length, 2);
    assert.ok(first.json.nextCursor);
    const human = await cli("events", "list", "--tenant", tenant.slug, "--limit", "2");
    assert.match(human.stderr, /more: add --cursor \S+/);
    const second = await cli(
      "events",
      "list",
      "--tenant",
      tenant.slug,
      "--limit",
      "2",
      "--cursor",
      first.json.nextCursor,
      "--json",
    );
    assert.equal(second.json.items.length, 1);
  });

  it("bad --from, --type or --entity is a usage error (exit 2)", async () => {
    const from = await cli("events", "list", "--from", "yesterday");
    assert.equal(from.exit, 2);
    assert.match(from.stderr, /"yesterday" is not an ISO-8601 time/);
    const type = await cli("events", "list", "--type", "Order.Created");
    assert.equal(type.exit, 2);
    assert.match(type.stderr, /not an event type or pattern/);
    const entity = await cli("events", "list", "--entity", "o-1");
    assert.equal(entity.exit, 2);
    assert.match(entity.stderr, /not type:id/);
    const limit = await cli("events", "list", "--limit", "5000");
    assert.equal(limit.exit, 2);
  });

  it("an unknown tenant has no events", async () => {
    const r = await cli("events", "list", "--tenant", "nobody-here", "--json");
    assert.equal(r.exit, 0, r.stderr);
    assert.deepEqual(r.json.items, []);
  });
});

describe("events tail", () => {
  it("prints events that arrive after it starts, as NDJSON with --json", async () => {
    const tail = background(["events", "tail", "--tenant", tenant.slug, "--json", "--count", "2"]);
    await tail.waitFor(/following/);
    await sendEvents(stack, tenant.key, [
      { type: "order.shipped", entity: { type: "order", id: "o-1" }, data: {} },
      { type: "order.delivered", entity: { type: "order", id: "o-1" }, data: {} },
    ]);
    assert.equal(await tail.exited, 0, tail.out.stderr);
    const events = tail.out.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.type), ["order.shipped", "order.delivered"]);
  });

  it("prints one readable line per event and stops cleanly on Ctrl-C", async () => {
    const tail = background(["events", "tail", "--tenant", tenant.slug]);
    await tail.waitFor(/following/);
    await sendEvents(stack, tenant.key, [{
      type: "order.returned",
      entity: { type: "order", id: "o-1" },
      data: { why: "size" },
    }]);
    await tail.waitFor(/order\.returned\s+order:o-1 v\d+\s+evt_\S+\s+\{"why":"size"\}/);
    tail.signal("SIGINT");
    assert.equal(await tail.exited, 0);
  });

  it("needs --tenant (exit 2)", async () => {
    const r = await cli("events", "tail");
    assert.equal(r.exit, 2);
    assert.match(r.stderr, /Missing required flag tenant/);
  });
});
