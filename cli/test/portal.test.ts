import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { cli, sendEvents, type Stack, startStack, tenantWithKey } from "./stack.ts";

let stack: Stack;
let tenant: { slug: string; key: string };
let receiver: Server;
let receiverUrl = "";

before(async () => {
  stack = await startStack();
  tenant = await tenantWithKey("portal");
  // Answers 500: deliveries stay pending, waiting for their retry.
  receiver = createServer((req, res) => req.resume().on("end", () => res.writeHead(500).end()));
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
});
after(async () => {
  receiver?.close();
  await stack?.stop();
});

/** Exchanges a link's token as the portal page does; the HTTP status of the exchange. */
async function exchange(url: string): Promise<number> {
  const token = new URL(url).hash.replace("#token=", "");
  const res = await fetch(`${stack.base}/admin/portal/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  await res.body?.cancel();
  return res.status;
}

describe("portal", () => {
  it("link prints a URL that opens the tenant's portal; --json gives url and expiresAt", async () => {
    const human = await cli("portal", "link", "--tenant", tenant.slug);
    assert.equal(human.exit, 0, human.stderr);
    assert.match(
      human.stdout.trim(),
      /^http:\/\/127\.0\.0\.1:\d+\/functions\/v1\/admin\/portal#token=spl_\w+$/,
    );
    assert.match(human.stderr, /full access to portal-\w+ until \d{4}-.*portal revoke pl_\w+/);
    assert.equal(await exchange(human.stdout.trim()), 201);

    const before = Date.now();
    const r = await cli(
      "portal",
      "link",
      "--tenant",
      tenant.slug,
      "--expires",
      "2h",
      "--read-only",
      "--json",
    );
    assert.equal(r.exit, 0, r.stderr);
    assert.match(r.json.url, /#token=spl_/);
    const expires = Date.parse(r.json.expiresAt);
    assert.ok(expires > before + 7_100_000 && expires < Date.now() + 7_300_000, r.json.expiresAt);
    assert.equal(r.json.readOnly, true);
  });

  it("revoke makes the link unusable; list shows it revoked, never the token", async () => {
    const link = await cli(
      "portal",
      "link",
      "--tenant",
      tenant.slug,
      "--note",
      "ERP team",
      "--json",
    );
    assert.equal(await exchange(link.json.url), 201);
    const revoked = await cli("portal", "revoke", link.json.id);
    assert.equal(revoked.exit, 0, revoked.stderr);
    assert.match(revoked.stdout, /^revokedAt\s+\d{4}-/m);
    assert.equal(await exchange(link.json.url), 401);
    const list = await cli("portal", "list", "--tenant", tenant.slug);
    assert.equal(list.exit, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${link.json.id}\\s+full\\s+revoked`));
    assert.ok(!list.stdout.includes("spl_"));
  });

  it("refuses a bad --expires or tenant (exit 2) and an unknown tenant or link (exit 1)", async () => {
    for (const args of [["--expires", "soon"], ["--expires", "10s"], ["--expires", "31d"]]) {
      const r = await cli("portal", "link", "--tenant", tenant.slug, ...args);
      assert.equal(r.exit, 2, `${args.join(" ")}: ${r.stderr}`);
    }
    assert.equal((await cli("portal", "link", "--tenant", "Bad Slug")).exit, 2);
    assert.equal((await cli("portal", "link")).exit, 2);
    const unknown = await cli("portal", "link", "--tenant", "nobody-here");
    assert.equal(unknown.exit, 1);
    assert.match(unknown.stderr, /tenant nobody-here not found/);
    const missing = await cli("portal", "revoke", "pl_missing");
    assert.equal(missing.exit, 1);
    assert.match(missing.stderr, /portal link pl_missing not found/);
  });
});

describe("endpoints update and delete", () => {
  let id = "";

  before(async () => {
    const r = await cli(
      "endpoints",
      "add",
      "--tenant",
      tenant.slug,
      "--url",
      receiverUrl,
      "--events",
      "order.*",
      "--filter",
      '{"data.total":[42]}',
      "--name",
      "orders",
      "--json",
    );
    assert.equal(r.exit, 0, r.stderr);
    id = r.json.id;
  });

  it("update changes only what is given, keeps the id, and --clear unsets", async () => {
    const r = await cli(
      "endpoints",
      "update",
      id,
      "--events",
      "order.*,invoice.paid",
      "--timeout",
      "5s",
      "--clear",
      "filter,name",
      "--json",
    );
    assert.equal(r.exit, 0, r.stderr);
    assert.equal(r.json.id, id);
    assert.deepEqual(r.json.events, ["order.*", "invoice.paid"]);
    assert.equal(r.json.timeoutMs, 5000);
    assert.equal(r.json.filter, null);
    assert.equal(r.json.name, null);
    assert.equal(r.json.url, receiverUrl);
    assert.ok(!("secret" in r.json));
    const human = await cli(
      "endpoints",
      "update",
      id,
      "--name",
      "orders v2",
      "--retry-schedule",
      "1h",
    );
    assert.equal(human.exit, 0, human.stderr);
    assert.match(human.stdout, /^name\s+orders v2$/m);
  });

  it("update refuses nothing to change, bad flags and contradictions (exit 2), an unknown id (exit 1)", async () => {
    const cases: [string[], RegExp][] = [
      [[], /nothing to change/],
      [["--url", "ftp://x"], /must be an http or https URL/],
      [["--events", "Order.*"], /is not an event type or pattern/],
      [["--clear", "filter", "--filter", "{}"], /contradict/],
      [["--clear", "url"], /Expected --clear=url to be one of/],
      [["--timeout", "5ms"], /timeoutMs/],
    ];
    for (const [flags, message] of cases) {
      const r = await cli("endpoints", "update", id, ...flags);
      assert.equal(r.exit, 2, `${flags.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const unknown = await cli("endpoints", "update", "ep_nope", "--name", "x");
    assert.equal(unknown.exit, 1);
    assert.match(unknown.stderr, /endpoint ep_nope not found/);
  });

  it("delete cancels the pending deliveries, visibly, and the endpoint is gone", async () => {
    await sendEvents(stack, tenant.key, [
      { type: "order.confirmed", entity: { type: "order", id: "o-del" }, data: { total: 42 } },
    ]);
    // The CLI stack runs no relay: route the event the way the pipeline would.
    const replayed = await cli(
      "replay",
      "--tenant",
      tenant.slug,
      "--from",
      "1h",
      "--endpoint",
      id,
      "--json",
    );
    assert.equal(replayed.exit, 0, replayed.stderr);
    const pending = await cli(
      "deliveries",
      "list",
      "--endpoint",
      id,
      "--status",
      "pending",
      "--json",
    );
    assert.equal(pending.json.items.length, 1);

    const r = await cli("endpoints", "delete", id, "--reason", "moved to the new ERP");
    assert.equal(r.exit, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^Deleted ${id} \\(${tenant.slug}\\): 1 pending delivery cancelled, 0 dead letters closed\\.$`,
        "m",
      ),
    );
    const cancelled = await cli(
      "deliveries",
      "list",
      "--endpoint",
      id,
      "--status",
      "cancelled",
      "--json",
    );
    assert.equal(cancelled.exit, 0, cancelled.stderr);
    assert.equal(cancelled.json.items.length, 1);
    assert.match(cancelled.json.items[0].lastError, /deleted \(moved to the new ERP\)/);
    const shown = await cli("endpoints", "show", id);
    assert.equal(shown.exit, 1);
    assert.match(shown.stderr, /not found/);
    const again = await cli("endpoints", "delete", id, "--json");
    assert.equal(again.exit, 1);
    assert.equal(again.json.error.code, "not_found");
  });
});
