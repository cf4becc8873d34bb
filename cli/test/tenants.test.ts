import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cli, type Stack, startStack, uniqueSlug } from "./stack.ts";

let stack: Stack;
before(async () => (stack = await startStack()));
after(() => stack?.stop());

describe("tenants", () => {
  const slug = uniqueSlug("acme");

  it("create prints the tenant and --json gives its stable keys", async () => {
    const human = await cli("tenants", "create", slug, "--name", "Acme Corp");
    assert.equal(human.exit, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`slug\\s+${slug}`));
    assert.match(human.stdout, /name\s+Acme Corp/);
    const json = await cli("tenants", "create", `${slug}-2`, "--json");
    assert.equal(json.exit, 0, json.stderr);
    assert.deepEqual(Object.keys(json.json).sort(), ["createdAt", "name", "slug", "status"]);
    assert.equal(json.json.status, "active");
  });

  it("create of an existing slug exits 1 and says so", async () => {
    const r = await cli("tenants", "create", slug);
    assert.equal(r.exit, 1);
    assert.match(r.stderr, new RegExp(`tenant ${slug} already exists`));
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  });

  it("create with a malformed slug or no slug is a usage error (exit 2)", async () => {
    const bad = await cli("tenants", "create", "Not_A_Slug");
    assert.equal(bad.exit, 2);
    assert.match(bad.stderr, /"Not_A_Slug" is not a slug/);
    const missing = await cli("tenants", "create");
    assert.equal(missing.exit, 2);
    assert.match(missing.stderr, /Missing 1 required arg/);
  });

  it("list shows an aligned table; --json gives {items}", async () => {
    const human = await cli("tenants", "list");
    assert.equal(human.exit, 0, human.stderr);
    const lines = human.stdout.trim().split("\n");
    assert.match(lines[0], /^SLUG\s+NAME\s+STATUS\s+CREATED$/);
    const row = lines.find((l) => l.startsWith(`${slug} `))!;
    assert.equal(row.indexOf("Acme Corp"), lines[0].indexOf("NAME"));
    const json = await cli("tenants", "list", "--json");
    assert.ok(json.json.items.some((t: { slug: string }) => t.slug === slug));
  });

  it("show gives one tenant; an unknown one exits 1 with 'not found'", async () => {
    const ok = await cli("tenants", "show", slug, "--json");
    assert.equal(ok.exit, 0, ok.stderr);
    assert.equal(ok.json.slug, slug);
    const missing = await cli("tenants", "show", "nobody-here");
    assert.equal(missing.exit, 1);
    assert.equal(missing.stderr.trim(), "Error: tenant nobody-here not found");
    const missingJson = await cli("tenants", "show", "nobody-here", "--json");
    assert.equal(missingJson.exit, 1);
    assert.deepEqual(missingJson.json, {
      error: { code: "not_found", message: "tenant nobody-here not found", details: [] },
    });
  });

  it("disable marks the tenant disabled; an unknown one exits 1", async () => {
    const r = await cli("tenants", "disable", `${slug}-2`, "--json");
    assert.equal(r.exit, 0, r.stderr);
    assert.equal(r.json.status, "disabled");
    const missing = await cli("tenants", "disable", "nobody-here");
    assert.equal(missing.exit, 1);
    assert.match(missing.stderr, /tenant nobody-here not found/);
  });
});

describe("keys", () => {
  const slug = uniqueSlug("keys");
  let keyId = "";

  before(async () => {
    assert.equal((await cli("tenants", "create", slug)).exit, 0);
  });

  it("create prints the key once; --json has it under `key`", async () => {
    const human = await cli("keys", "create", "--tenant", slug, "--name", "erp");
    assert.equal(human.exit, 0, human.stderr);
    assert.match(human.stdout, /shown once/);
    const json = await cli("keys", "create", "--tenant", slug, "--json");
    assert.equal(json.exit, 0, json.stderr);
    assert.deepEqual(Object.keys(json.json).sort(), [
      "createdAt",
      "id",
      "key",
      "lastUsedAt",
      "name",
      "prefix",
      "revokedAt",
      "tenant",
    ]);
    assert.ok(json.json.key.startsWith(json.json.prefix));
    keyId = json.json.id;
  });

  it("create for an unknown tenant exits 1; without --tenant exits 2", async () => {
    const unknown = await cli("keys", "create", "--tenant", "nobody-here");
    assert.equal(unknown.exit, 1);
    assert.match(unknown.stderr, /tenant nobody-here not found/);
    const missing = await cli("keys", "create");
    assert.equal(missing.exit, 2);
    assert.match(missing.stderr, /Missing required flag tenant/);
  });

  it("list shows prefixes, never keys", async () => {
    const json = await cli("keys", "list", "--tenant", slug, "--json");
    assert.equal(json.exit, 0, json.stderr);
    assert.equal(json.json.items.length, 2);
    assert.ok(json.json.items.every((k: Record<string, unknown>) => !("key" in k)));
    const human = await cli("keys", "list", "--tenant", slug);
    assert.match(
      human.stdout.split("\n")[0],
      /^ID\s+PREFIX\s+NAME\s+CREATED\s+LAST USED\s+REVOKED$/,
    );
    const unknown = await cli("keys", "list", "--tenant", "nobody-here");
    assert.equal(unknown.exit, 1);
    assert.match(unknown.stderr, /tenant nobody-here not found/);
  });

  it("revoke marks the key revoked; an unknown id exits 1", async () => {
    const r = await cli("keys", "revoke", keyId, "--json");
    assert.equal(r.exit, 0, r.stderr);
    assert.ok(r.json.revokedAt);
    assert.ok(!("key" in r.json));
    const unknown = await cli("keys", "revoke", "00000000-0000-0000-0000-000000000000");
    assert.equal(unknown.exit, 1);
    assert.match(unknown.stderr, /not found/);
  });
});
