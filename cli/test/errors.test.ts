import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bin, cli, cliRoot, type Stack, startStack, uniqueSlug } from "./stack.ts";

let stack: Stack;
before(async () => (stack = await startStack()));
after(() => stack?.stop());

/** No stack trace and no oclif box: the first line is the message, and there is at most a hint after it. */
function assertOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split("\n");
  assert.match(lines[0], pattern);
  assert.ok(lines.length <= 2, `expected one readable line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

describe("reaching the stack", () => {
  it("an unreachable stack is one line and exit 1", async () => {
    const r = await bin(["tenants", "list"], {
      SUPABASE_URL: "http://127.0.0.1:9",
      SUPABASE_SERVICE_ROLE_KEY: "whatever-key-123456",
    });
    assert.equal(r.exit, 1);
    assertOneLine(
      r.stderr,
      /^Error: cannot reach Switchyard at http:\/\/127\.0\.0\.1:9 — is `npm start` running\?$/,
    );
    const json = await bin(["status", "--json"], {
      SUPABASE_URL: "http://127.0.0.1:9",
      SUPABASE_SERVICE_ROLE_KEY: "x",
    });
    assert.equal(json.exit, 1);
    assert.equal(json.json.error.code, "unreachable");
  });

  it("a wrong service key is one line and exit 1", async () => {
    const r = await bin(["tenants", "list"], {
      SUPABASE_URL: stack.supabaseUrl,
      SUPABASE_SERVICE_ROLE_KEY: "not-the-key-0123456789",
    });
    assert.equal(r.exit, 1);
    assertOneLine(
      r.stderr,
      /^Error: the service role key was refused — check SUPABASE_SERVICE_ROLE_KEY$/,
    );
  });

  it("without SUPABASE_URL it reads .switchyard/env from a parent folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "switchyard-cli-"));
    try {
      mkdirSync(join(dir, ".switchyard"));
      writeFileSync(
        join(dir, ".switchyard", "env"),
        `DATABASE_URL=x\nSUPABASE_URL=${stack.supabaseUrl}\nSUPABASE_SERVICE_ROLE_KEY=${stack.serviceKey}\n`,
      );
      mkdirSync(join(dir, "deep", "er"), { recursive: true });
      const r = await bin(["tenants", "list", "--json"], {}, { cwd: join(dir, "deep", "er") });
      assert.equal(r.exit, 0, r.stderr);
      assert.ok(Array.isArray(r.json.items));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with no configuration at all it says what to set, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "switchyard-cli-"));
    try {
      const r = await bin(["tenants", "list"], {}, { cwd: dir });
      assert.equal(r.exit, 1);
      assertOneLine(r.stderr, /SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY not set/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("start-up", () => {
  it("run from any folder, a command reuses the bundle it built instead of rebuilding it", async () => {
    const env = { SUPABASE_URL: stack.supabaseUrl, SUPABASE_SERVICE_ROLE_KEY: stack.serviceKey };
    const elsewhere = mkdtempSync(join(tmpdir(), "switchyard-cli-cwd-"));
    const bundle = join(cliRoot, "dist", "commands.js");
    try {
      // Built here by the first command, from another folder than cli/.
      rmSync(join(cliRoot, "dist"), { recursive: true, force: true });
      assert.equal((await bin(["tenants", "list", "--json"], env, { cwd: elsewhere })).exit, 0);
      const built = statSync(bundle).mtimeMs;
      for (const cwd of [elsewhere, cliRoot, join(cliRoot, "..")]) {
        assert.equal((await bin(["tenants", "list", "--json"], env, { cwd })).exit, 0);
        assert.equal(statSync(bundle).mtimeMs, built, `rebuilt when run from ${cwd}`);
      }
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe("usage", () => {
  it("an unknown command or flag exits 2", async () => {
    assert.equal((await cli("tenants", "frobnicate")).exit, 2);
    const r = await cli("tenants", "list", "--nope");
    assert.equal(r.exit, 2);
    assert.match(r.stderr, /Nonexistent flag: --nope/);
  });

  it("every command has --help with examples", async () => {
    const root = await cli("--help");
    assert.equal(root.exit, 0);
    const ids = [
      "status",
      "replay",
      ...["create", "list", "show", "disable"].map((c) => `tenants ${c}`),
      ...["create", "list", "revoke"].map((c) => `keys ${c}`),
      ...["add", "list", "show", "disable", "enable", "rotate-secret", "test"].map((c) =>
        `endpoints ${c}`
      ),
      ...["link", "chats", "set-webhook"].map((c) => `telegram ${c}`),
      "events list",
      "events tail",
      "deliveries list",
      "deliveries show",
      "dlq list",
      "dlq replay",
      "dto get",
      "dto rebuild",
    ];
    const helps = await Promise.all(ids.map((id) => cli(...id.split(" "), "--help")));
    helps.forEach((h, i) => {
      assert.equal(h.exit, 0, `${ids[i]}: ${h.stderr}`);
      assert.match(h.stdout, /EXAMPLES\n\s+\$ switchyard /, ids[i]);
      assert.match(h.stdout, /--json/, ids[i]);
    });
  });
});

describe("status", () => {
  it("shows relay lag, backlog, breakers and per-tenant counts; --json is the /status answer", async () => {
    const tenant = uniqueSlug("st");
    assert.equal((await cli("tenants", "create", tenant)).exit, 0);
    const human = await cli("status");
    assert.equal(human.exit, 0, human.stderr);
    for (
      const label of [
        "status",
        "database",
        "fast store",
        "relay lag",
        "deliveries",
        "conciliations",
        "open breakers",
      ]
    ) {
      assert.match(human.stdout, new RegExp(`^${label}\\s{2,}\\S`, "m"), label);
    }
    const json = await cli("status", "--json");
    assert.equal(json.exit, 0);
    assert.ok(["ok", "degraded", "down"].includes(json.json.status));
    assert.ok("lagMs" in json.json.checks.relay);
    assert.ok("due" in json.json.checks.deliveries && "dead" in json.json.checks.deliveries);
    assert.ok(Array.isArray(json.json.breakers));
    const row = json.json.tenants.find((t: { tenant: string }) => t.tenant === tenant);
    assert.equal(row.eventsTotal, 0);
    assert.match(
      human.stdout,
      /\nPer tenant\nTENANT\s+STATUS\s+EVENTS 24H\s+EVENTS\s+ENDPOINTS\s+DUE\s+DEAD\s+CONCILIATIONS\n/,
    );
  });

  it("takes no arguments (exit 2)", async () => {
    assert.equal((await cli("status", "extra")).exit, 2);
  });
});
