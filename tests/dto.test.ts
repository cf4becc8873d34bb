/** The DTO middleware end to end: composition, coalescing, gaps, stale writes, reads, rebuilds. */
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { fromSource, loggedEvents, relay, seedBank, timeline } from "./dto-fixtures.ts";
import { composeDtos } from "../functions/_shared/dtos/composer.ts";
import customerPosition from "../examples/bank/dtos/customer-position.ts";
import customerProfile from "../examples/bank/dtos/customer-profile.ts";
import { primaryKey, writePrimary } from "../functions/_shared/dtos/fast-store.ts";
import { readSnapshot, writeSnapshots } from "../functions/_shared/dtos/persistent-store.ts";

const ops = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "composed DTOs equal what the source query computes, in both stores",
  ...ops,
  fn: async () => {
    const stack = await startStack({ example: "bank" });
    try {
      const { slug } = await seedTenant(stack.db.sql);
      const { sql } = stack.db;
      await seedBank(sql, slug, { customers: 3, accounts: 2 });
      await sql`update bank.balances set available = 42.5, ledger = 40.25, updated_at = '2026-11-24T10:00:00Z' where tenant_id = ${slug} and account_id = 'c1-a1'`;
      await sql`update bank.customers set phone = '+34600000000' where tenant_id = ${slug} and customer_id = 'c1'`;
      await sql`update bank.accounts set status = 'closed' where tenant_id = ${slug} and account_id = 'c1-a2'`;
      const result = await relay(stack.ctx, slug)();
      assert.equal(result.failed, 0);
      for (const def of [customerPosition, customerProfile]) {
        for (const key of ["c1", "c2", "c3"]) {
          const expected = await fromSource(sql, def, slug, key);
          const secondary = await readSnapshot(sql, { tenant: slug, type: def.name, key });
          assert.deepEqual(secondary?.data, expected, `${def.name} ${key} secondary`);
          const primary = await stack.ctx.store.getVersioned<{ data: unknown }>(
            primaryKey({ tenant: slug, type: def.name, key }),
          );
          assert.deepEqual(primary?.value.data, expected, `${def.name} ${key} primary`);
          assert.equal(primary?.version, secondary?.version);
        }
      }
      const c1 = await fromSource(sql, customerPosition, slug, "c1") as { totals: unknown };
      assert.deepEqual(c1.totals, {
        EUR: { available: 42.5, ledger: 40.25 },
        USD: { available: 100, ledger: 100 },
      });
      const profile = await fromSource(sql, customerProfile, slug, "c1") as {
        products: string[];
        contactPoints: unknown[];
      };
      assert.deepEqual(profile.products, ["checking"]);
      assert.equal(profile.contactPoints.length, 2);
      const updates = (await timeline(sql, slug, "customer", "c1")).filter((e) =>
        e.type === "dto.updated"
      );
      assert.ok(updates.length >= 2, "dto.updated is on the customer's timeline");
      assert.ok(
        updates.every((e) => e.causationId),
        "each dto.updated names the event that caused it",
      );
    } finally {
      await stack.close();
    }
  },
});

Deno.test({
  name:
    "events arriving with a gap end equal to the source through dto.failed → dto.conciliated on the customer's timeline",
  ...ops,
  fn: async () => {
    const stack = await startStack({ example: "bank" });
    try {
      const { slug } = await seedTenant(stack.db.sql);
      const { sql } = stack.db;
      await seedBank(sql, slug, { customers: 1, accounts: 1 });
      await relay(stack.ctx, slug)();
      const start = (await loggedEvents(sql, slug)).at(-1)!.seq;
      for (let i = 1; i <= 5; i++) {
        await sql`update bank.balances set available = ${100 + i}, ledger = ${
          100 + i
        } where tenant_id = ${slug} and account_id = 'c1-a1'`;
      }
      const updates = (await loggedEvents(sql, slug, start)).filter((e) =>
        e.type === "balance.updated"
      );
      assert.equal(updates.length, 5);
      // The 2nd and 3rd updates go missing on the way: the DTO sees versions …, 2, 5, 6.
      const withGap = [updates[0], updates[3], updates[4]];
      const result = await composeDtos(stack.ctx, withGap);
      assert.equal(result.failed, 1);
      assert.equal(result.conciliated, 1);

      const expected = await fromSource(sql, customerPosition, slug, "c1");
      assert.deepEqual(
        (await readSnapshot(sql, { tenant: slug, type: "customer_position", key: "c1" }))?.data,
        expected,
      );
      const primary = await stack.ctx.store.getVersioned<{ data: unknown }>(
        primaryKey({ tenant: slug, type: "customer_position", key: "c1" }),
      );
      assert.deepEqual(primary?.value.data, expected);
      assert.equal(
        (expected as { totals: { EUR: { available: number } } }).totals.EUR.available,
        105,
      );

      const hops = (await timeline(sql, slug, "customer", "c1")).filter((e) =>
        e.type.startsWith("dto.") && e.version > 0
      );
      const failed = hops.find((e) =>
        e.type === "dto.failed" && e.data.dtoType === "customer_position"
      );
      const conciliated = hops.find((e) =>
        e.type === "dto.conciliated" && e.data.dtoType === "customer_position"
      );
      assert.ok(
        failed && conciliated,
        `timeline has dto.failed and dto.conciliated: ${hops.map((e) => e.type).join(", ")}`,
      );
      assert.equal(failed.data.reason, "gap");
      assert.equal(
        failed.causationId,
        updates[3].id,
        "dto.failed is caused by the event after the gap",
      );
      assert.equal(conciliated.causationId, failed.id, "dto.conciliated answers the dto.failed");
      assert.ok(conciliated.version > failed.version);

      // The late events arrive after all: already in the DTO, nothing changes.
      const late = await composeDtos(stack.ctx, [updates[1], updates[2]]);
      assert.equal(late.writes, 0);
      assert.equal(late.failed, 0);
      const [row] =
        await sql`select status from switchyard.dto_conciliations where tenant = ${slug} and key = 'c1'`;
      assert.equal(row.status, "resolved");
    } finally {
      await stack.close();
    }
  },
});

Deno.test({
  name: "1,000 balance updates for one customer in a burst: DTO correct, writes a small fraction",
  ...ops,
  fn: async () => {
    const stack = await startStack({ example: "bank" });
    try {
      const { slug } = await seedTenant(stack.db.sql);
      const { sql } = stack.db;
      await seedBank(sql, slug, { customers: 1, accounts: 2 });
      const pump = relay(stack.ctx, slug, 500);
      await pump();
      await sql.begin(async (tx) => {
        for (let i = 0; i < 1_000; i++) {
          await tx`update bank.balances set available = available + 1, ledger = ledger + 2
          where tenant_id = ${slug} and account_id = ${i % 2 ? "c1-a2" : "c1-a1"}`;
        }
      });
      const burst = await pump();
      console.log(
        `1,000 balance updates → ${burst.events} events composed with ${burst.writes} position writes`,
      );
      // A composition that missed its store deadline on a loaded machine is repaired by the
      // conciliator; what the user sees is the final DTO, checked against the source below.
      assert.ok(burst.events >= 1_000);
      assert.ok(burst.writes <= 10, `writes ${burst.writes} should be a small fraction of 1,000`);
      const expected = await fromSource(sql, customerPosition, slug, "c1") as {
        totals: Record<string, { available: number }>;
      };
      assert.equal(expected.totals.EUR.available, 600);
      assert.deepEqual(
        (await readSnapshot(sql, { tenant: slug, type: "customer_position", key: "c1" }))?.data,
        expected,
      );
    } finally {
      await stack.close();
    }
  },
});

Deno.test({
  name: "a stale write never overwrites a newer version, in either store",
  ...ops,
  fn: async () => {
    const stack = await startStack({ example: "bank" });
    try {
      const { slug } = await seedTenant(stack.db.sql);
      const { sql } = stack.db;
      const ref = { tenant: slug, type: "customer_position", key: "c1" };
      const newer = {
        ...ref,
        version: 10,
        data: { v: "new" },
        applied: { "customer:c1": 10 },
        lastEventId: null,
      };
      const older = {
        ...ref,
        version: 7,
        data: { v: "old" },
        applied: { "customer:c1": 7 },
        lastEventId: null,
      };
      assert.equal((await writeSnapshots(sql, [newer])).length, 1);
      assert.equal((await writeSnapshots(sql, [older])).length, 0);
      assert.equal(
        (await writeSnapshots(sql, [{ ...newer, data: { v: "same version" } }])).length,
        0,
      );
      assert.deepEqual((await readSnapshot(sql, ref))?.data, { v: "new" });

      const at = (version: number, v: string) => ({
        ...ref,
        version,
        value: { updatedAt: "2026-11-24T00:00:00.000Z", data: { v } },
      });
      assert.deepEqual(await writePrimary(stack.ctx, [at(10, "new")]), ["wrote"]);
      assert.deepEqual(await writePrimary(stack.ctx, [at(7, "old")]), ["stale"]);
      assert.deepEqual(
        (await stack.ctx.store.getVersioned(primaryKey(ref)))?.value,
        at(10, "new").value,
      );

      // A replayed batch from long ago: the composer skips what the DTO holds and writes nothing.
      await seedBank(sql, slug, { customers: 1, accounts: 1, prefix: "r" });
      const pump = relay(stack.ctx, slug);
      await pump();
      const replayRef = { tenant: slug, type: "customer_position", key: "r1" };
      await sql`update bank.balances set available = 5 where tenant_id = ${slug}`;
      await pump();
      const before = await readSnapshot(sql, replayRef);
      const replay = await composeDtos(stack.ctx, await loggedEvents(sql, slug));
      assert.equal(replay.writes, 0);
      assert.deepEqual(await readSnapshot(sql, replayRef), before);
      assert.equal(
        (await stack.ctx.store.getVersioned(primaryKey(replayRef)))?.version,
        before?.version,
      );
    } finally {
      await stack.close();
    }
  },
});

Deno.test({
  name: "DTO reads: primary, secondary with refill, source; tenant isolation; 404s",
  ...ops,
  fn: async () => {
    const stack = await startStack({ example: "bank" });
    try {
      const { sql } = stack.db;
      const a = await seedTenant(sql);
      const b = await seedTenant(sql);
      await seedBank(sql, a.slug, { customers: 2, accounts: 1 });
      await seedBank(sql, b.slug, { customers: 1, accounts: 3 });
      await relay(stack.ctx, a.slug)();
      const api = client(`${stack.base}/api`, a.key);
      const apiB = client(`${stack.base}/api`, b.key);

      const hit = await api("GET", "/dto/customer_position/c1");
      assert.equal(hit.status, 200);
      assert.equal(hit.headers.get("x-switchyard-source"), "primary");
      assert.deepEqual(Object.keys(hit.json).sort(), [
        "data",
        "key",
        "type",
        "updatedAt",
        "version",
      ]);
      assert.equal(hit.json.data.accounts.length, 1);

      await stack.ctx.store.del(
        primaryKey({ tenant: a.slug, type: "customer_position", key: "c1" }),
      );
      const secondary = await api("GET", "/dto/customer_position/c1");
      assert.equal(secondary.headers.get("x-switchyard-source"), "secondary");
      assert.deepEqual(secondary.json, hit.json);
      assert.equal(
        (await api("GET", "/dto/customer_position/c1")).headers.get("x-switchyard-source"),
        "primary",
        "the primary was refilled",
      );

      // Tenant b's DTOs were never composed: the source answers, and writes both stores.
      const fromB = await apiB("GET", "/dto/customer_position/c1");
      assert.equal(fromB.status, 200);
      assert.equal(fromB.headers.get("x-switchyard-source"), "source");
      assert.equal(fromB.json.data.accounts.length, 3, "tenant b sees its own c1, not tenant a's");
      assert.equal(
        (await apiB("GET", "/dto/customer_position/c1")).headers.get("x-switchyard-source"),
        "primary",
      );
      assert.equal(
        (await api("GET", "/dto/customer_position/c1")).json.data.accounts.length,
        1,
        "and tenant a still its own",
      );
      assert.equal(
        (await apiB("GET", "/dto/customer_position/c2")).status,
        404,
        "tenant a's c2 does not exist for tenant b",
      );

      assert.equal(
        (await api("GET", "/dto/CustomerProfile/c2")).json.type,
        "customer_profile",
        "the CLI's spelling works",
      );
      const unknown = await api("GET", "/dto/no_such_dto/c1");
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.error.code, "not_found");
      assert.equal((await api("GET", "/dto/customer_position/nobody")).status, 404);
      assert.equal(
        (await client(`${stack.base}/api`, "sy_wrong")("GET", "/dto/customer_position/c1")).status,
        401,
      );

      await sql`delete from bank.customers where tenant_id = ${a.slug} and customer_id = 'c2'`;
      await relay(stack.ctx, a.slug)();
      assert.equal(
        (await api("GET", "/dto/customer_position/c2")).status,
        404,
        "a deleted customer's DTO is gone",
      );
    } finally {
      await stack.close();
    }
  },
});

Deno.test({
  name: "admin: read one DTO, rebuild every key in batches with progress, list conciliations",
  ...ops,
  fn: async () => {
    const stack = await startStack({ example: "bank" });
    try {
      const { sql } = stack.db;
      const { slug } = await seedTenant(sql);
      await seedBank(sql, slug, { customers: 450, accounts: 1 });
      const admin = client(`${stack.base}/admin`, SERVICE_KEY);
      const pages = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await admin("POST", "/dto/CustomerPosition/rebuild", { tenant: slug, cursor });
        assert.equal(page.status, 200, page.text);
        pages.push(page.json);
        if (page.json.done) break;
        cursor = page.json.nextCursor;
      }
      assert.deepEqual(pages.map((p) => p.rebuilt), [200, 200, 50]);
      assert.ok(pages.every((p) => p.total === 450));
      const [{ n }] =
        await sql`select count(*)::int as n from switchyard.dto_snapshots where tenant = ${slug} and dto_type = 'customer_position'`;
      assert.equal(n, 450);

      const one = await admin("POST", "/dto/customer_profile/rebuild", { tenant: slug, key: "c7" });
      assert.deepEqual(one.json, { rebuilt: 1, total: 1, nextCursor: null, done: true });
      const got = await admin("GET", `/dto/customer_profile/c7?tenant=${slug}`);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get("x-switchyard-source"), "primary");
      assert.equal(got.json.data.fullName, "Customer c7");
      assert.equal(
        (await admin("POST", "/dto/customer_profile/rebuild", { tenant: slug, key: "nobody" }))
          .status,
        404,
      );
      assert.equal(
        (await admin("POST", "/dto/customer_profile/rebuild", { key: "c1" })).status,
        400,
      );
      assert.equal((await admin("GET", `/dto/customer_profile/c7`)).status, 400);

      const list = await admin("GET", `/conciliations?tenant=${slug}&status=pending`);
      assert.equal(list.status, 200);
      assert.deepEqual(list.json, { items: [] });
      assert.equal((await admin("GET", `/conciliations?status=bogus`)).status, 400);
    } finally {
      await stack.close();
    }
  },
});
