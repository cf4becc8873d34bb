import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cli, type Stack, startStack, tenantWithKey } from "./stack.ts";

let stack: Stack;
let tenant: { slug: string; key: string };
before(async () => {
  stack = await startStack();
  tenant = await tenantWithKey("tg");
});
after(() => stack?.stop());

describe("telegram", () => {
  it("link prints a one-time /start code; --json has `code` and `expiresAt`", async () => {
    const human = await cli("telegram", "link", "--tenant", tenant.slug);
    assert.equal(human.exit, 0, human.stderr);
    assert.match(human.stdout, /\n\n {2}\/start \S+\n\nThe code works once, until \d{4}-/);
    const json = await cli("telegram", "link", "--tenant", tenant.slug, "--json");
    assert.deepEqual(Object.keys(json.json).sort(), ["code", "expiresAt"]);
    const unknown = await cli("telegram", "link", "--tenant", "nobody-here");
    assert.equal(unknown.exit, 1);
    assert.match(unknown.stderr, /tenant nobody-here not found/);
    assert.equal((await cli("telegram", "link")).exit, 2);
  });

  it("chats lists linked chats", async () => {
    const human = await cli("telegram", "chats", "--tenant", tenant.slug);
    assert.equal(human.exit, 0, human.stderr);
    assert.match(human.stdout, /no linked chats: run `switchyard telegram link --tenant/);
    const json = await cli("telegram", "chats", "--tenant", tenant.slug, "--json");
    assert.deepEqual(json.json, { items: [] });
    assert.equal((await cli("telegram", "chats", "--tenant", "nobody-here")).exit, 1);
  });

  it("set-webhook points the bot at a URL; a malformed URL exits 2", async () => {
    const r = await cli(
      "telegram",
      "set-webhook",
      "--url",
      "https://example.com/functions/v1/telegram",
      "--json",
    );
    assert.equal(r.exit, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json, { ok: true, url: "https://example.com/functions/v1/telegram" });
    const bad = await cli("telegram", "set-webhook", "--url", "example.com");
    assert.equal(bad.exit, 2);
    assert.match(bad.stderr, /"example\.com" is not a URL/);
  });
});

describe("dto", () => {
  it("get and rebuild: bad type names and missing --tenant are usage errors", async () => {
    const badType = await cli("dto", "get", "customer-position", "c-1", "--tenant", tenant.slug);
    assert.equal(badType.exit, 2);
    assert.match(badType.stderr, /not a DTO type name/);
    assert.equal((await cli("dto", "get", "CustomerPosition", "c-1")).exit, 2);
    assert.equal((await cli("dto", "rebuild", "CustomerPosition")).exit, 2);
  });

  it("get of a DTO, type or tenant that does not exist exits 1", async () => {
    const r = await cli("dto", "get", "CustomerPosition", "c-404", "--tenant", tenant.slug);
    assert.equal(r.exit, 1);
    assert.match(r.stderr, /^Error: no customer_position c-404 in tenant /);
    const json = await cli(
      "dto",
      "get",
      "CustomerPosition",
      "c-404",
      "--tenant",
      tenant.slug,
      "--json",
    );
    assert.equal(json.json.error.code, "not_found");
    const unknownType = await cli("dto", "get", "NoSuchThing", "c-1", "--tenant", tenant.slug);
    assert.equal(unknownType.exit, 1);
    const unknownTenant = await cli(
      "dto",
      "get",
      "CustomerPosition",
      "c-1",
      "--tenant",
      "nobody-here",
    );
    assert.equal(unknownTenant.exit, 1);
    assert.match(unknownTenant.stderr, /tenant nobody-here not found/);
  });

  it("rebuild runs every page and reports totals", async () => {
    const r = await cli("dto", "rebuild", "CustomerPosition", "--tenant", tenant.slug, "--json");
    assert.equal(r.exit, 0, r.stdout + r.stderr);
    assert.deepEqual(Object.keys(r.json).sort(), ["done", "rebuilt", "total"]);
    const unknown = await cli("dto", "rebuild", "CustomerPosition", "--tenant", "nobody-here");
    assert.equal(unknown.exit, 1);
  });
});
