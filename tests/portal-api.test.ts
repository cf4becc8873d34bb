import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack, type TestStack } from "./harness.ts";
import { emitAndRoute, orderEvent } from "./delivery-fixtures.ts";
import { startReceiver } from "./receiver.ts";
import { sha256Hex } from "../functions/_shared/secrets.ts";
import { loadConfig } from "../functions/_shared/config.ts";

type Call = ReturnType<typeof client>;

/** A link for `tenant`, exchanged for a session; returns a client bound to the session. */
async function portalFor(stack: TestStack, tenant: string, opts: Record<string, unknown> = {}) {
  const admin = client(stack.base, SERVICE_KEY);
  const link = await admin("POST", "/admin/portal/links", { tenant, ...opts });
  assert.equal(link.status, 201, link.text);
  const token = new URL(link.json.url).hash.replace("#token=", "");
  const exchanged = await client(stack.base, "")("POST", "/admin/portal/session", { token });
  assert.equal(exchanged.status, 201, exchanged.text);
  const session: string = exchanged.json.session;
  const call = client(stack.base, session);
  const portal: Call = (method, path, body, headers) =>
    call(method, `/admin/portal/api${path}`, body, headers);
  return { link: link.json, token, session, portal };
}

/** Two tenants, each with an endpoint, a delivered event and a dead letter. */
async function twoTenants(stack: TestStack, receiverUrl: string) {
  const { sql } = stack.db;
  const admin = client(stack.base, SERVICE_KEY);
  const out: Record<string, { endpoint: string; delivery: string; deadLetter: string }> = {};
  for (const slug of ["acme", "globex"]) {
    await seedTenant(sql, slug);
    const ep = await admin("POST", "/admin/endpoints", {
      tenant: slug,
      url: `${receiverUrl}/${slug}`,
      name: `${slug}-hook`,
      events: ["order.*"],
    });
    assert.equal(ep.status, 201, ep.text);
    await emitAndRoute(sql, [orderEvent(slug, `${slug}-o1`)]);
    const [d] = await sql<{ id: string }[]>`
      update switchyard.deliveries set status = 'dead', tries = 6 where tenant = ${slug} returning id`;
    const [l] = await sql<{ id: string }[]>`
      insert into switchyard.dead_letters (delivery_id, tenant, endpoint_id, event_id, reason, tries)
      select id, tenant, endpoint_id, event_id, 'HTTP 500', 6 from switchyard.deliveries where id = ${d.id}
      returning id`;
    out[slug] = { endpoint: ep.json.id, delivery: d.id, deadLetter: l.id };
  }
  return out;
}

Deno.test("a portal link is printed once with its expiry and stored only as a hash", async () => {
  const stack = await startStack({ store: "memory" });
  try {
    await seedTenant(stack.db.sql, "acme");
    const admin = client(stack.base, SERVICE_KEY);
    const before = Date.now();
    const r = await admin("POST", "/admin/portal/links", {
      tenant: "acme",
      expiresInSeconds: 7200,
      note: "ERP team",
    });
    assert.equal(r.status, 201, r.text);
    const url = new URL(r.json.url);
    assert.equal(url.origin + url.pathname, `${stack.base}/admin/portal`);
    assert.match(url.hash, /^#token=spl_[A-Za-z0-9]{40}$/);
    const expires = Date.parse(r.json.expiresAt);
    assert.ok(expires >= before + 7_190_000 && expires <= Date.now() + 7_210_000);
    assert.equal(r.json.readOnly, false);
    const token = url.hash.slice("#token=".length);
    const [row] = await stack.db.sql`select token_hash from switchyard.portal_links`;
    assert.equal(row.token_hash, sha256Hex(token));
    const list = await admin("GET", "/admin/portal/links?tenant=acme");
    assert.equal(list.json.items.length, 1);
    assert.ok(!list.text.includes(token), "the token is never listed");
    for (
      const bad of [
        { tenant: "acme", expiresInSeconds: 10 },
        { tenant: "acme", expiresInSeconds: 31 * 86_400 },
        { tenant: "acme", readOnly: "yes" },
        { tenant: "Not A Slug" },
      ]
    ) {
      const refused = await admin("POST", "/admin/portal/links", bad);
      assert.equal(refused.status, 400, JSON.stringify(bad));
    }
    assert.equal((await admin("POST", "/admin/portal/links", { tenant: "nobody" })).status, 404);
    const [{ n }] = await stack.db.sql`select count(*)::int as n from switchyard.portal_links`;
    assert.equal(n, 1, "refused requests wrote nothing");
  } finally {
    await stack.close();
  }
});

Deno.test("a link for one tenant never shows or changes another tenant's data", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  try {
    const { sql } = stack.db;
    const t = await twoTenants(stack, receiver.url);
    const { portal } = await portalFor(stack, "acme");
    const g = t.globex;

    const me = await portal("GET", "/me");
    assert.equal(me.json.tenant, "acme");
    const eps = await portal("GET", "/endpoints");
    assert.deepEqual(eps.json.items.map((e: { id: string }) => e.id), [t.acme.endpoint]);
    const events = await portal("GET", "/events");
    assert.ok(events.json.items.length > 0);
    assert.ok(events.json.items.every((e: { tenant: string }) => e.tenant === "acme"));
    assert.equal((await portal("GET", "/trace/order/globex-o1")).json.items.length, 0);
    assert.equal((await portal("GET", "/trace/order/acme-o1")).json.items.length, 1);
    const dlq = await portal("GET", "/dlq");
    assert.deepEqual(dlq.json.items.map((l: { id: string }) => l.id), [t.acme.deadLetter]);
    const stats = await portal("GET", "/stats");
    assert.equal(stats.status, 200);

    // Every route that names another tenant's thing answers as if it did not exist.
    for (
      const [method, path, body] of [
        ["GET", `/deliveries/${g.delivery}`],
        ["PATCH", `/endpoints/${g.endpoint}`, { name: "taken" }],
        ["DELETE", `/endpoints/${g.endpoint}`],
        ["POST", `/endpoints/${g.endpoint}/disable`],
        ["POST", `/endpoints/${g.endpoint}/enable`],
        ["POST", `/endpoints/${g.endpoint}/rotate-secret`],
        ["POST", `/endpoints/${g.endpoint}/test`],
      ] as [string, string, unknown?][]
    ) {
      const r = await portal(method, path, body);
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
    }
    const create = await portal("POST", "/endpoints", {
      tenant: "globex",
      url: `${receiver.url}/x`,
      events: ["*"],
    });
    assert.equal(create.status, 400);
    const replayOther = await portal("POST", "/dlq/replay", { ids: [g.deadLetter] });
    assert.equal(replayOther.json.replayed, 0);
    const replayAll = await portal("POST", "/dlq/replay", { all: true });
    assert.equal(replayAll.json.replayed, 1);
    const replayAsOther = await portal("POST", "/dlq/replay", { all: true, tenant: "globex" });
    assert.equal(replayAsOther.status, 400);

    const [globex] = await sql`
      select ep.name, ep.enabled, ep.deleted_at, l.replayed_at, d.status
      from switchyard.endpoints ep join switchyard.dead_letters l on l.endpoint_id = ep.id
      join switchyard.deliveries d on d.id = l.delivery_id where ep.id = ${g.endpoint}`;
    assert.deepEqual(
      { ...globex },
      { name: "globex-hook", enabled: true, deleted_at: null, replayed_at: null, status: "dead" },
    );
    assert.equal(receiver.requests.length, 0, "no test was sent to globex's receiver");
    // The service routes stay behind the service key, whatever session is shown.
    assert.equal((await portal("GET", "/../../tenants")).status, 401);
    const service = await client(stack.base, (await portalFor(stack, "acme")).session)(
      "GET",
      "/admin/tenants",
    );
    assert.equal(service.status, 401);
  } finally {
    await receiver.close();
    await stack.close();
  }
});

Deno.test("an expired, revoked or disabled tenant's link is refused, and revoking ends open sessions", async () => {
  const stack = await startStack({ store: "memory" });
  try {
    const { sql } = stack.db;
    await seedTenant(sql, "acme");
    const admin = client(stack.base, SERVICE_KEY);
    const anon = client(stack.base, "");

    const expired = await portalFor(stack, "acme");
    await sql`update switchyard.portal_links set created_at = now() - interval '2 hours',
      expires_at = now() - interval '1 second' where id = ${expired.link.id}`;
    assert.equal(
      (await anon("POST", "/admin/portal/session", { token: expired.token })).status,
      401,
    );
    assert.equal((await expired.portal("GET", "/endpoints")).status, 401, "its session ends too");

    const revoked = await portalFor(stack, "acme");
    assert.equal((await revoked.portal("GET", "/endpoints")).status, 200);
    const r = await admin("POST", `/admin/portal/links/${revoked.link.id}/revoke`, {});
    assert.equal(r.status, 200);
    assert.ok(r.json.revokedAt);
    assert.equal((await revoked.portal("GET", "/endpoints")).status, 401);
    assert.equal(
      (await anon("POST", "/admin/portal/session", { token: revoked.token })).status,
      401,
    );

    const disabled = await portalFor(stack, "acme");
    assert.equal((await admin("POST", "/admin/tenants/acme/disable")).status, 200);
    assert.equal((await disabled.portal("GET", "/me")).status, 401);

    for (const token of ["spl_unknown", "", "x".repeat(500)]) {
      const bad = await anon("POST", "/admin/portal/session", { token });
      assert.ok([400, 401].includes(bad.status), `${token.slice(0, 10)}: ${bad.status}`);
    }
    assert.equal((await anon("POST", "/admin/portal/session", "{not json")).status, 400);
    assert.equal(
      (await client(stack.base, "sps_forged")("GET", "/admin/portal/api/me")).status,
      401,
    );
    assert.equal((await anon("GET", "/admin/portal/api/me")).status, 401);
    assert.equal(
      (await admin("POST", "/admin/portal/links/pl_missing/revoke", {})).status,
      404,
    );
  } finally {
    await stack.close();
  }
});

Deno.test("a read-only link reads everything of its tenant and changes nothing", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  try {
    const { sql } = stack.db;
    const t = await twoTenants(stack, receiver.url);
    const { portal } = await portalFor(stack, "acme", { readOnly: true });
    const a = t.acme;
    for (const path of ["/me", "/endpoints", "/events", "/trace/order/acme-o1", "/dlq", "/stats"]) {
      assert.equal((await portal("GET", path)).status, 200, path);
    }
    const snapshot = async () =>
      await sql`select ep.*, (select array_agg(pattern) from switchyard.subscriptions where endpoint_id = ep.id) as p,
        (select json_agg(d.status) from switchyard.deliveries d where d.endpoint_id = ep.id) as s,
        (select count(*) from switchyard.dead_letters l where l.endpoint_id = ep.id and l.replayed_at is null) as open
        from switchyard.endpoints ep order by id`;
    const before = await snapshot();
    for (
      const [method, path, body] of [
        ["POST", "/endpoints", { url: `${receiver.url}/new`, events: ["*"] }],
        ["PATCH", `/endpoints/${a.endpoint}`, { name: "renamed" }],
        ["DELETE", `/endpoints/${a.endpoint}`],
        ["POST", `/endpoints/${a.endpoint}/disable`],
        ["POST", `/endpoints/${a.endpoint}/rotate-secret`],
        ["POST", `/endpoints/${a.endpoint}/test`],
        ["POST", "/dlq/replay", { all: true }],
      ] as [string, string, unknown?][]
    ) {
      const r = await portal(method, path, body);
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
      assert.equal(r.json.error.code, "forbidden");
    }
    assert.deepEqual(await snapshot(), before);
    assert.equal(receiver.requests.length, 0);
  } finally {
    await receiver.close();
    await stack.close();
  }
});

Deno.test("the portal page has a strict CSP, and only configured origins may frame it", async () => {
  const plain = await startStack({ store: "memory" });
  const framed = await startStack({
    store: "memory",
    env: { SWITCHYARD_PORTAL_FRAME_ANCESTORS: "https://app.example.com, https://shop.example.com" },
  });
  try {
    const page = await fetch(`${plain.base}/admin/portal`);
    assert.equal(page.status, 200);
    const csp = page.headers.get("content-security-policy")!;
    assert.match(csp, /default-src 'none'; script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.doesNotMatch(await page.text(), /<script>|style=/, "no inline script or style");
    for (const a of ["portal.js", "portal.css"]) {
      const r = await fetch(`${plain.base}/admin/portal/assets/${a}`);
      assert.equal(r.status, 200, a);
      await r.body?.cancel();
    }
    const missing = await fetch(`${plain.base}/admin/portal/assets/..%2Findex.html`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();

    const embedded = await fetch(`${framed.base}/admin/portal`);
    assert.match(
      embedded.headers.get("content-security-policy")!,
      /frame-ancestors https:\/\/app\.example\.com https:\/\/shop\.example\.com$/,
    );
    assert.equal(embedded.headers.get("x-frame-options"), null);
    await embedded.body?.cancel();
    assert.throws(
      () =>
        loadConfig({
          DATABASE_URL: "postgres://x@127.0.0.1/db",
          SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
          SWITCHYARD_PORTAL_FRAME_ANCESTORS: "https://ok.example.com *",
        }),
      /SWITCHYARD_PORTAL_FRAME_ANCESTORS/,
    );
  } finally {
    await plain.close();
    await framed.close();
  }
});

Deno.test("the SSRF guard refuses portal endpoints added or edited to point at private addresses", async () => {
  const stack = await startStack({
    store: "memory",
    env: { SWITCHYARD_ALLOW_PRIVATE_TARGETS: "0" },
  });
  try {
    await seedTenant(stack.db.sql, "acme");
    const { portal } = await portalFor(stack, "acme");
    for (const url of ["http://127.0.0.1:8080/hook", "http://10.0.0.7/hook", "http://[::1]/x"]) {
      const r = await portal("POST", "/endpoints", { url, events: ["*"] });
      assert.equal(r.status, 400, url);
      assert.match(r.json.error.details[0].message, /target refused/);
    }
    const ok = await portal("POST", "/endpoints", {
      url: "https://93.184.215.14/hook",
      events: ["*"],
    });
    assert.equal(ok.status, 201, ok.text);
    const edit = await portal("PATCH", `/endpoints/${ok.json.id}`, {
      url: "http://169.254.169.254/latest",
    });
    assert.equal(edit.status, 400);
    const [row] = await stack.db.sql`select url from switchyard.endpoints where id = ${ok.json.id}`;
    assert.equal(row.url, "https://93.184.215.14/hook");
  } finally {
    await stack.close();
  }
});

Deno.test("editing an endpoint keeps its id and secret; deleting it cancels its pending deliveries visibly", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  try {
    const { sql } = stack.db;
    await seedTenant(sql, "acme");
    const admin = client(stack.base, SERVICE_KEY);
    const ep = await admin("POST", "/admin/endpoints", {
      tenant: "acme",
      url: `${receiver.url}/a`,
      events: ["order.*"],
      filter: { "data.total": [42] },
      name: "orders",
    });
    const id = ep.json.id;
    const [{ secret }] = await sql`select secret from switchyard.endpoints where id = ${id}`;

    const edited = await admin("PATCH", `/admin/endpoints/${id}`, {
      url: `${receiver.url}/b`,
      events: ["order.*", "invoice.paid"],
      filter: null,
      timeoutMs: 5000,
      name: null,
    });
    assert.equal(edited.status, 200, edited.text);
    assert.equal(edited.json.id, id);
    assert.equal(edited.json.url, `${receiver.url}/b`);
    assert.deepEqual(edited.json.events, ["order.*", "invoice.paid"]);
    assert.equal(edited.json.filter, null);
    assert.equal(edited.json.name, null);
    assert.equal(edited.json.timeoutMs, 5000);
    const [after] = await sql`select secret from switchyard.endpoints where id = ${id}`;
    assert.equal(after.secret, secret, "the signing secret is kept");
    const subs =
      await sql`select pattern, filter from switchyard.subscriptions where endpoint_id = ${id} order by id`;
    assert.deepEqual(subs.map((s) => [s.pattern, s.filter]), [["order.*", null], [
      "invoice.paid",
      null,
    ]]);

    // Bad edits are 400s that change nothing.
    for (
      const bad of [
        {},
        { tenant: "globex" },
        { kind: "soap" },
        { url: "ftp://x" },
        { events: [] },
        { timeoutMs: 5 },
        { headers: { "webhook-id": "x" } },
      ]
    ) {
      const r = await admin("PATCH", `/admin/endpoints/${id}`, bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    assert.equal((await admin("GET", `/admin/endpoints/${id}`)).json.timeoutMs, 5000);
    assert.equal((await admin("PATCH", "/admin/endpoints/ep_missing", { name: "x" })).status, 404);

    // A pending delivery and a dead letter, then the delete.
    const { events } = await emitAndRoute(sql, [
      orderEvent("acme", "o-pending"),
      orderEvent("acme", "o-dead"),
    ]);
    await sql`update switchyard.deliveries set status = 'dead' where event_id = ${events[1].id}`;
    await sql`insert into switchyard.dead_letters (delivery_id, tenant, endpoint_id, event_id, tries)
      select id, tenant, endpoint_id, event_id, 6 from switchyard.deliveries where event_id = ${
      events[1].id
    }`;
    const trace = client(stack.base, SERVICE_KEY);
    // Cached before the delete: the delete must not leave it stale.
    assert.equal(
      (await trace("GET", "/admin/trace/order/o-pending?tenant=acme")).json.items[0].deliveries[0]
        .status,
      "pending",
    );
    // Disabled first: its waiting delivery is held, and a held delivery is cancelled too.
    assert.equal((await admin("POST", `/admin/endpoints/${id}/disable`)).status, 200);
    const [held] = await sql`select status from switchyard.deliveries where event_id = ${
      events[0].id
    }`;
    assert.equal(held.status, "held");
    const deleted = await admin("DELETE", `/admin/endpoints/${id}`, { reason: "replaced" });
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(deleted.json.cancelledDeliveries, 1);
    assert.equal(deleted.json.closedDeadLetters, 1);
    assert.equal((await admin("GET", `/admin/endpoints/${id}`)).status, 404);
    assert.equal((await admin("GET", "/admin/endpoints?tenant=acme")).json.items.length, 0);
    const own = await trace("GET", `/admin/trace/endpoint/${id}?tenant=acme`);
    const gone = own.json.items.find((e: { type: string }) => e.type === "endpoint.deleted");
    assert.deepEqual(gone?.data, {
      endpointId: id,
      reason: "replaced",
      cancelledDeliveries: 1,
      closedDeadLetters: 1,
    });
    assert.equal((await admin("POST", `/admin/endpoints/${id}/enable`)).status, 404);
    assert.equal((await admin("DELETE", `/admin/endpoints/${id}`)).status, 404);
    const cancelled = await admin("GET", "/admin/deliveries?tenant=acme&status=cancelled");
    assert.equal(cancelled.json.items.length, 1);
    assert.match(
      cancelled.json.items[0].lastError,
      /^cancelled: endpoint ep_\w+ was deleted \(replaced\)$/,
    );
    const timeline = await trace("GET", "/admin/trace/order/o-pending?tenant=acme");
    const shown = timeline.json.items[0].deliveries[0];
    assert.equal(shown.status, "cancelled");
    assert.match(shown.lastError, /was deleted/);
    assert.equal((await admin("GET", "/admin/dlq?tenant=acme")).json.items.length, 0);
    // Nothing routes to it any more.
    const { routed } = await emitAndRoute(sql, [orderEvent("acme", "o-later")]);
    assert.equal(routed, 0);
    assert.equal((await trace("GET", "/admin/trace/order/o-later")).status, 400, "tenant required");
  } finally {
    await receiver.close();
    await stack.close();
  }
});

Deno.test("malformed portal, link and endpoint-edit requests are 4xx with an error code and change nothing", async () => {
  const stack = await startStack({ store: "memory" });
  try {
    const { sql } = stack.db;
    await seedTenant(sql, "acme");
    const admin = client(stack.base, SERVICE_KEY);
    const { portal } = await portalFor(stack, "acme");
    const ep = await portal("POST", "/endpoints", { url: "http://127.0.0.1:9/x", events: ["*"] });
    assert.equal(ep.status, 201, ep.text);
    const snapshot = async () =>
      await sql`select (select count(*) from switchyard.endpoints) as e,
        (select count(*) from switchyard.portal_links) as l,
        (select max(updated_at) from switchyard.endpoints) as u`;
    const before = await snapshot();
    const cases: [Call, string, string, unknown?][] = [
      [portal, "GET", "/trace/order/a%00b"],
      [portal, "GET", "/trace/Order/x"],
      [portal, "GET", "/events?from=yesterday"],
      [portal, "GET", "/stats?hours=0"],
      [portal, "GET", "/dlq?limit=-1"],
      [portal, "GET", "/deliveries/a%00b"],
      [portal, "POST", "/endpoints", [1, 2]],
      [portal, "POST", "/endpoints", "{nope"],
      [portal, "PATCH", `/endpoints/${ep.json.id}`, { url: 12 }],
      [portal, "PATCH", `/endpoints/${ep.json.id}`, "null"],
      [portal, "DELETE", `/endpoints/${ep.json.id}`, { reason: 7 }],
      [portal, "POST", "/dlq/replay", {}],
      [portal, "GET", "/nothing-here"],
      [admin, "GET", "/admin/trace/order/x%00?tenant=acme"],
      [admin, "POST", "/admin/portal/links", { tenant: "acme", note: "a\u0000b" }],
      [admin, "POST", "/admin/portal/links", { tenant: "acme", note: "\ud800" }],
      [admin, "POST", "/admin/portal/links", { tenant: "acme", extra: true }],
      [admin, "GET", "/admin/portal/links"],
      [admin, "POST", "/admin/portal/links/a%00/revoke", {}],
      [admin, "PATCH", `/admin/endpoints/${ep.json.id}`, { retrySchedule: [1e400] }],
      [admin, "DELETE", "/admin/endpoints/bad%20id"],
    ];
    for (const [call, method, path, body] of cases) {
      const r = await call(method, path, body);
      assert.ok(r.status >= 400 && r.status < 500, `${method} ${path}: ${r.status} ${r.text}`);
      assert.equal(typeof r.json?.error?.code, "string", `${method} ${path}: ${r.text}`);
    }
    assert.deepEqual(await snapshot(), before);
  } finally {
    await stack.close();
  }
});
