/**
 * Malformed requests from the outside: each is a 4xx with an error code and writes nothing. These
 * are the cases that reached Postgres unchecked (and answered 500) or were silently altered.
 */
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack, type TestStack } from "./harness.ts";
import { fnv1a } from "../functions/_shared/events/cursor.ts";
import { timelineScope } from "../functions/_shared/events/queries.ts";

async function withStack(
  fn: (s: TestStack, api: ReturnType<typeof client>, slug: string) => Promise<void>,
) {
  const stack = await startStack({ store: "memory" });
  try {
    const { slug, key } = await seedTenant(stack.db.sql);
    await fn(stack, client(`${stack.base}/api`, key), slug);
  } finally {
    await stack.close();
  }
}

const eventCount = async (s: TestStack) =>
  (await s.db.sql<{ n: number }[]>`select count(*)::int as n from switchyard.events`)[0].n;
const order = (extra: Record<string, unknown> = {}, id = "o-1") => ({
  type: "order.created",
  entity: { type: "order", id },
  ...extra,
});

Deno.test("ingest refuses what Postgres would not store as sent, naming the field, and writes nothing", async () => {
  await withStack(async (s, api) => {
    const cases: [string, string, string][] = [
      ["a lone surrogate in entity.id", JSON.stringify(order({}, "a\ud800b")), "entity.id"],
      ["a lone surrogate in dedupKey", JSON.stringify(order({ dedupKey: "k\udc00" })), "dedupKey"],
      ["year 0000", JSON.stringify(order({ timestamp: "0000-01-01T00:00:00Z" })), "timestamp"],
      [
        "year 10000 once in UTC",
        JSON.stringify(order({ timestamp: "9999-12-31T23:30:00-01:00" })),
        "timestamp",
      ],
      [
        "1e400",
        `{"type":"order.created","entity":{"type":"order","id":"o"},"data":{"amount":1e400}}`,
        "data.amount",
      ],
      [
        "an integer past 2^53 that parsing would change",
        `{"type":"order.created","entity":{"type":"order","id":"o"},"data":{"n":[1,12345678901234567890]}}`,
        "data.n.1",
      ],
      [
        "1e-400",
        `{"type":"order.created","entity":{"type":"order","id":"o"},"metadata":{"x":1e-400}}`,
        "metadata.x",
      ],
    ];
    for (const [name, body, path] of cases) {
      const res = await api("POST", "/events", body);
      assert.equal(res.status, 400, `${name}: ${res.text}`);
      assert.equal(res.json.error.code, "validation_failed", name);
      assert.ok(
        res.json.error.details.some((d: { path: string }) => d.path === path),
        `${name}: ${res.text}`,
      );
    }
    assert.equal(await eventCount(s), 0);
  });
});

Deno.test("numbers that survive parsing are stored exactly as sent", async () => {
  await withStack(async (s, api) => {
    const body =
      `{"type":"order.created","entity":{"type":"order","id":"o"},"data":{"a":12345678901234567000,"b":0.1,"c":1.5e2,"d":-0,"e":9007199254740991}}`;
    assert.equal((await api("POST", "/events", body)).status, 202);
    const [row] = await s.db.sql<{ data: string }[]>`select data::text from switchyard.events`;
    assert.equal(
      row.data,
      `{"a": 12345678901234567000, "b": 0.1, "c": 150, "d": 0, "e": 9007199254740991}`,
    );
  });
});

Deno.test("NUL in a path or query parameter is a 400 on every route that takes one", async () => {
  await withStack(async (s, api, slug) => {
    const admin = client(`${s.base}/admin`, SERVICE_KEY);
    const requests: [ReturnType<typeof client>, string, string][] = [
      [api, "GET", "/events?entityId=a%00b"],
      [api, "GET", "/events?from=0000-01-01T00:00:00Z"],
      [api, "GET", "/trace/order/a%00b"],
      [api, "GET", "/dto/customer_position/a%00b"],
      [admin, "POST", "/keys/a%00b/revoke"],
      [admin, "GET", `/dto/customer_position/c-1?tenant=${slug}%00`],
      [admin, "GET", "/deliveries?endpoint=ep%00"],
      [admin, "GET", "/dlq?endpoint=ep%00"],
      [admin, "GET", "/events?entityId=%00"],
      [admin, "GET", `/tenants/${slug}%00`],
    ];
    for (const [call, method, path] of requests) {
      const res = await call(method, path);
      assert.equal(res.status, 400, `${method} ${path}: ${res.text}`);
      assert.match(res.json.error.code, /^(bad_request|validation_failed)$/, path);
    }
    const [{ n }] = await s.db.sql<{ n: number }[]>`
      select count(*)::int as n from switchyard.api_keys where revoked_at is not null`;
    assert.equal(n, 0);
  });
});

Deno.test("a forged trace cursor past the integer range is a 400, not a database error", async () => {
  await withStack(async (_s, api, slug) => {
    assert.equal((await api("POST", "/events", order())).status, 202);
    // The cursor anyone could compute before cursors were signed.
    const scope = timelineScope({ tenant: slug, entityType: "order", entityId: "o-1" });
    const body = `trace.2147483648.${scope}`;
    const forged = btoa(`${body}.${fnv1a(body)}`).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    const res = await api("GET", `/trace/order/o-1?cursor=${forged}`);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.details[0].path, "cursor");
  });
});

Deno.test("a body string with NUL or a lone surrogate is a 400 on admin routes and nothing is created", async () => {
  await withStack(async (s, _api, slug) => {
    const admin = client(`${s.base}/admin`, SERVICE_KEY);
    for (
      const [path, body] of [
        ["/tenants", `{"slug":"fresh-one","name":"a\\u0000b"}`],
        ["/tenants", `{"slug":"fresh-two","name":"a\\ud800"}`],
        ["/keys", `{"tenant":"${slug}","name":"k\\u0000"}`],
        [
          "/endpoints",
          `{"tenant":"${slug}","url":"http://127.0.0.1:9/","events":["*"],"name":"\\udfff"}`,
        ],
      ]
    ) {
      const res = await admin("POST", path, body);
      assert.equal(res.status, 400, `${path} ${body}: ${res.text}`);
    }
    const [{ tenants, keys, endpoints }] = await s.db.sql<
      { tenants: number; keys: number; endpoints: number }[]
    >`select (select count(*)::int from switchyard.tenants) as tenants,
        (select count(*)::int from switchyard.api_keys) as keys,
        (select count(*)::int from switchyard.endpoints) as endpoints`;
    assert.deepEqual({ tenants, keys, endpoints }, { tenants: 1, keys: 1, endpoints: 0 });
  });
});

Deno.test("a function name that is not one of ours is a 404, whatever the name", async () => {
  await withStack(async (s) => {
    for (const name of ["nope", "constructor", "__proto__", "tostring", "hasownproperty"]) {
      const res = await fetch(`${s.base}/${name}/x`);
      assert.equal(res.status, 404, `${name}: ${await res.clone().text()}`);
      assert.equal((await res.json()).error.code, "not_found", name);
    }
  });
});
