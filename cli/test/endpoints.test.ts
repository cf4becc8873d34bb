import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { cli, sendEvents, type Stack, startStack, tenantWithKey } from "./stack.ts";

let stack: Stack;
let tenant: { slug: string; key: string };
let receiver: Server;
let receiverUrl = "";
let answer = 200;
const received: { headers: Record<string, unknown>; body: string }[] = [];

before(async () => {
  stack = await startStack();
  tenant = await tenantWithKey("ep");
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
});
after(async () => {
  receiver?.close();
  await stack?.stop();
});

let endpointId = "";

describe("endpoints", () => {
  it("add prints the endpoint and its signing secret once", async () => {
    const r = await cli(
      "endpoints",
      "add",
      "--tenant",
      tenant.slug,
      "--url",
      receiverUrl,
      "--events",
      "order.*,product.updated",
      "--header",
      "x-team=integrations",
      "--timeout",
      "5s",
      "--retry-schedule",
      "1s,2s",
      "--name",
      "orders",
    );
    assert.equal(r.exit, 0, r.stderr);
    assert.match(r.stdout, /^kind\s+webhook$/m);
    assert.match(r.stdout, /Signing secret \(shown once, store it now\):\n\n {2}whsec_\S+/);
  });

  it("add --json returns the endpoint with `secret`; show and list never do", async () => {
    const transform = join(tmpdir(), `transform-${process.pid}.json`);
    writeFileSync(transform, JSON.stringify({ body: { order: "{{entity.id}}" } }));
    const r = await cli(
      "endpoints",
      "add",
      "--tenant",
      tenant.slug,
      "--url",
      receiverUrl,
      "--events",
      "order.confirmed",
      "--filter",
      '{"data.total":[10,20]}',
      "--transform",
      transform,
      "--credentials",
      '{"type":"bearer","token":"t0k"}',
      "--ordered",
      "--json",
    );
    assert.equal(r.exit, 0, r.stderr);
    assert.match(r.json.secret, /^whsec_/);
    assert.deepEqual(r.json.events, ["order.confirmed"]);
    assert.equal(r.json.ordered, true);
    assert.equal(r.json.credentialsType, "bearer");
    endpointId = r.json.id;
    const shown = await cli("endpoints", "show", endpointId, "--json");
    assert.equal(shown.exit, 0, shown.stderr);
    assert.equal(shown.json.id, endpointId);
    assert.ok(!("secret" in shown.json));
    assert.doesNotMatch((await cli("endpoints", "show", endpointId)).stdout, /whsec_/);
    const listed = await cli("endpoints", "list", "--tenant", tenant.slug, "--json");
    assert.equal(listed.json.items.length, 2);
    assert.doesNotMatch(JSON.stringify(listed.json), /whsec_/);
    const table = await cli("endpoints", "list", "--tenant", tenant.slug);
    assert.match(
      table.stdout.split("\n")[0],
      /^ID\s+TENANT\s+KIND\s+NAME\s+URL\s+EVENTS\s+STATUS$/,
    );
  });

  it("add --kind amqp, nats and mqtt registers broker endpoints; a bad broker URL is refused with the reason", async () => {
    const urls = {
      amqp: "amqp://127.0.0.1:5672/?exchange=amq.topic&routingKey={{type}}",
      nats: "nats://127.0.0.1:4222?subject=shop.{{type}}&atMostOnce=true",
      mqtt: "mqtt://127.0.0.1:1883?topic=shop/{{entity.id}}&qos=1",
    };
    const own = await tenantWithKey("brk");
    for (const [kind, url] of Object.entries(urls)) {
      const r = await cli(
        "endpoints",
        "add",
        "--tenant",
        own.slug,
        "--kind",
        kind,
        "--url",
        url,
        "--events",
        "order.*",
        "--json",
      );
      assert.equal(r.exit, 0, r.stderr);
      assert.equal(r.json.kind, kind);
      assert.equal(r.json.url, url);
      assert.match(r.json.secret, /^whsec_/);
    }
    const bad = await cli(
      "endpoints",
      "add",
      "--tenant",
      own.slug,
      "--kind",
      "mqtt",
      "--url",
      "mqtt://127.0.0.1?qos=7",
    );
    assert.equal(bad.exit, 2, bad.stderr);
    assert.match(bad.stderr, /needs \?topic=/);
    assert.match(bad.stderr, /qos must be 0, 1 or 2/);
  });

  it("add rejects a malformed URL, a bad pattern, bad JSON and a missing --url (exit 2)", async () => {
    const cases: [string[], RegExp][] = [
      [["--url", "not a url"], /"not a url" is not a URL/],
      [["--url", "ftp://x.example"], /must be an http or https URL/],
      [
        ["--url", receiverUrl, "--events", "Order.*"],
        /"Order\.\*" is not an event type or pattern/,
      ],
      [["--url", receiverUrl, "--filter", "{nope"], /--filter is not valid JSON/],
      [["--url", receiverUrl, "--timeout", "soon"], /"soon" is not a duration/],
      [["--url", receiverUrl, "--header", "no-equals"], /--header "no-equals" is not name=value/],
      [[], /--url is required for --kind webhook/],
      [["--kind", "amqp", "--url", receiverUrl], /--kind amqp needs a amqp:\/\/ or amqps:\/\/ URL/],
      [["--url", "nats://127.0.0.1:4222"], /a nats:\/\/ URL needs --kind nats/],
    ];
    for (const [flags, message] of cases) {
      const r = await cli("endpoints", "add", "--tenant", tenant.slug, ...flags);
      assert.equal(r.exit, 2, `${flags.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const noTenant = await cli("endpoints", "add", "--url", receiverUrl);
    assert.equal(noTenant.exit, 2);
  });

  it("add for an unknown tenant exits 1; input the server refuses lists every problem", async () => {
    const unknown = await cli("endpoints", "add", "--tenant", "nobody-here", "--url", receiverUrl);
    assert.equal(unknown.exit, 1, unknown.stderr);
    assert.match(unknown.stderr, /tenant nobody-here not found/);
    const soap = await cli(
      "endpoints",
      "add",
      "--tenant",
      tenant.slug,
      "--kind",
      "soap",
      "--url",
      receiverUrl,
    );
    assert.equal(soap.exit, 2);
    assert.match(
      soap.stderr,
      /^Error: invalid endpoint\n {2}transform\.envelope: is required for a soap endpoint/,
    );
  });

  it("disable (with a reason) and enable", async () => {
    const off = await cli("endpoints", "disable", endpointId, "--reason", "maintenance", "--json");
    assert.equal(off.exit, 0, off.stderr);
    assert.equal(off.json.enabled, false);
    assert.equal(off.json.disabledReason, "maintenance");
    assert.match(
      (await cli("endpoints", "list", "--tenant", tenant.slug)).stdout,
      /disabled \(maintenance\)/,
    );
    const on = await cli("endpoints", "enable", endpointId);
    assert.equal(on.exit, 0, on.stderr);
    assert.match(on.stdout, /^enabled\s+true$/m);
    for (const cmd of ["show", "disable", "enable", "rotate-secret", "test"]) {
      const r = await cli("endpoints", cmd, "ep_nope");
      assert.equal(r.exit, 1, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, /not found/, cmd);
    }
  });

  it("rotate-secret prints the new secret once, and how long the old one lasts", async () => {
    const human = await cli("endpoints", "rotate-secret", endpointId, "--overlap", "1h");
    assert.equal(human.exit, 0, human.stderr);
    assert.match(human.stdout, /New signing secret .* \(shown once, store it now\):\n\n {2}whsec_/);
    assert.match(human.stdout, /previous secret stays valid until \d{4}-/);
    const json = await cli("endpoints", "rotate-secret", endpointId, "--json");
    assert.deepEqual(Object.keys(json.json).sort(), ["id", "previousValidUntil", "secret"]);
    const bad = await cli("endpoints", "rotate-secret", endpointId, "--overlap", "forever");
    assert.equal(bad.exit, 2);
  });

  it("test reports the receiver's answer; a failing receiver exits 1", async () => {
    answer = 200;
    const ok = await cli("endpoints", "test", endpointId, "--json");
    assert.equal(ok.exit, 0, ok.stderr);
    assert.equal(ok.json.ok, true);
    assert.equal(ok.json.status, 200);
    assert.ok(received.some((r) => typeof r.headers["webhook-signature"] === "string"));
    answer = 500;
    const failed = await cli("endpoints", "test", endpointId);
    assert.equal(failed.exit, 1);
    assert.match(
      failed.stderr,
      new RegExp(`^Error: endpoint ${endpointId} failed the test: HTTP 500 in \\d+ ms`),
    );
    answer = 200;
  });
});

describe("replay, deliveries and dead letters", () => {
  before(async () => {
    await sendEvents(stack, tenant.key, [
      { type: "order.confirmed", entity: { type: "order", id: "o-9" }, data: { total: 10 } },
      { type: "product.updated", entity: { type: "product", id: "p-9" }, data: {} },
    ]);
  });

  it("replay routes past events again and reports totals", async () => {
    const r = await cli("replay", "--tenant", tenant.slug, "--from", "1h", "--json");
    assert.equal(r.exit, 0, r.stdout);
    // The two events above, and the endpoint.disabled event of the disable test before.
    assert.deepEqual(r.json, { created: 3, scanned: 3, done: true });
    const human = await cli(
      "replay",
      "--tenant",
      tenant.slug,
      "--from",
      "1h",
      "--type",
      "product.*",
      "--endpoint",
      endpointId,
    );
    assert.equal(human.exit, 0, human.stderr);
    assert.match(human.stderr, /… scanned 3 events, created 0 deliveries/);
    assert.match(human.stdout, /replay done: scanned 3 events, created 0 deliveries/);
  });

  it("replay needs a tenant and a valid --from; unknown tenants exit 1", async () => {
    assert.equal((await cli("replay", "--from", "1h")).exit, 2);
    const bad = await cli("replay", "--tenant", tenant.slug, "--from", "last tuesday");
    assert.equal(bad.exit, 2);
    assert.match(bad.stderr, /not an ISO-8601 time/);
    const unknown = await cli(
      "replay",
      "--tenant",
      "nobody-here",
      "--from",
      "2026-11-24T00:00:00Z",
    );
    assert.equal(unknown.exit, 1);
    assert.match(unknown.stderr, /tenant nobody-here not found/);
  });

  let deliveryId = "";

  it("deliveries list and show", async () => {
    const list = await cli(
      "deliveries",
      "list",
      "--tenant",
      tenant.slug,
      "--status",
      "pending",
      "--json",
    );
    assert.equal(list.exit, 0, list.stderr);
    assert.equal(list.json.items.length, 3);
    assert.ok("nextCursor" in list.json);
    deliveryId = list.json.items[0].id;
    const table = await cli("deliveries", "list", "--endpoint", endpointId);
    assert.match(
      table.stdout.split("\n")[0],
      /^ID\s+TENANT\s+ENDPOINT\s+EVENT\s+ENTITY\s+STATUS\s+TRIES\s+NEXT ATTEMPT\s+LAST ANSWER$/,
    );
    assert.match(table.stdout, /order\.confirmed\s+order:o-9 v1\s+pending \(replay\)/);
    const shown = await cli("deliveries", "show", deliveryId, "--json");
    assert.equal(shown.exit, 0, shown.stderr);
    assert.equal(shown.json.id, deliveryId);
    assert.deepEqual(shown.json.attempts, []);
    assert.match((await cli("deliveries", "show", deliveryId)).stdout, /\nAttempts\n\(none yet\)/);
  });

  it("deliveries: bad status exits 2, unknown tenant or id exits 1", async () => {
    assert.equal((await cli("deliveries", "list", "--status", "lost")).exit, 2);
    const unknown = await cli("deliveries", "list", "--tenant", "nobody-here");
    assert.equal(unknown.exit, 1);
    assert.match(unknown.stderr, /tenant nobody-here not found/);
    const missing = await cli("deliveries", "show", "dlv_nope");
    assert.equal(missing.exit, 1);
    assert.match(missing.stderr, /delivery dlv_nope not found/);
  });

  it("dlq list shows dead letters and dlq replay sends them again", async () => {
    // Nothing in this stack delivers, so the delivery is killed by hand, as the worker would.
    execFileSync("psql", [
      stack.databaseUrl,
      "-qc",
      `
      update switchyard.deliveries set status = 'dead' where id = '${deliveryId}';
      insert into switchyard.dead_letters (delivery_id, tenant, endpoint_id, event_id, reason, tries)
        select id, tenant, endpoint_id, event_id, 'HTTP 500', 6 from switchyard.deliveries where id = '${deliveryId}';`,
    ]);
    const list = await cli("dlq", "list", "--tenant", tenant.slug, "--json");
    assert.equal(list.exit, 0, list.stderr);
    assert.equal(list.json.items.length, 1);
    assert.equal(list.json.items[0].deliveryId, deliveryId);
    const table = await cli("dlq", "list");
    assert.match(
      table.stdout,
      new RegExp(`${deliveryId}\\s+${tenant.slug}\\s+\\S+\\s+\\S+\\s+6\\s+\\S+\\s+HTTP 500`),
    );
    const replayed = await cli("dlq", "replay", list.json.items[0].id, "--json");
    assert.equal(replayed.exit, 0, replayed.stderr);
    assert.deepEqual(replayed.json, { replayed: 1 });
    assert.match((await cli("dlq", "list", "--tenant", tenant.slug)).stdout, /\(no dead letters\)/);
    const all = await cli("dlq", "replay", "--all", "--tenant", tenant.slug);
    assert.equal(all.exit, 0, all.stderr);
    assert.equal(all.stdout.trim(), "replayed 0 dead letters");
    const everywhere = await cli("dlq", "replay", "--all");
    assert.equal(everywhere.exit, 0, everywhere.stderr);
    assert.equal(everywhere.stdout.trim(), "replayed 0 dead letters");
  });

  it("dlq: ids and --all together, or neither, are usage errors; unknown tenant exits 1", async () => {
    assert.match(
      (await cli("dlq", "replay")).stderr,
      /give the dead-letter ids to replay, or --all/,
    );
    assert.equal((await cli("dlq", "replay", "dl_1", "--all", "--tenant", tenant.slug)).exit, 2);
    assert.equal((await cli("dlq", "replay", "dl_1", "--tenant", tenant.slug)).exit, 2);
    const unknown = await cli("dlq", "list", "--tenant", "nobody-here");
    assert.equal(unknown.exit, 1);
    assert.match(unknown.stderr, /tenant nobody-here not found/);
  });
});
