import assert from "node:assert/strict";
import { launchBrowser, screenshotPath } from "./browser.ts";
import { dashboardFiles } from "../functions/admin/routes/dashboard.ts";
import { client } from "./harness.ts";
import { startReceiver } from "./receiver.ts";
import { emitAndRoute, orderEvent, runScheduledDeliveries } from "./delivery-fixtures.ts";
import { waitUntil } from "./wait.ts";
import { seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { type Burst, seedBursts } from "./metrics-seed.ts";
import { seedDeliveries } from "./metrics-delivery-seed.ts";

const HOUR = 3_600_000;
const shot = (name: string) => screenshotPath("DASHBOARD_SCREENSHOTS", name);

Deno.test("the dashboard asks for the key, draws a seeded history, switches tenant and replays a dead letter", async () => {
  const stack = await startStack();
  const browser = await launchBrowser();
  try {
    const { sql } = stack.db;
    const now = Date.now();
    const acme = await seedTenant(sql, "acme");
    const globex = await seedTenant(sql, "globex");
    const bursts: Burst[] = [];
    for (let h = 23; h >= 0; h--) {
      const at = new Date(now - h * HOUR - 60_000);
      bursts.push({
        tenant: acme.slug,
        type: "order.created",
        at,
        count: 30 + Math.round(12 * Math.sin(h / 3)),
      });
      bursts.push({ tenant: acme.slug, type: "order.paid", at, count: 12 + (h % 5) });
      bursts.push({ tenant: acme.slug, type: "customer.updated", at, count: 4 + (h % 3) });
      if (h % 4 === 0) bursts.push({ tenant: globex.slug, type: "invoice.issued", at, count: 5 });
    }
    await seedBursts(sql, bursts);
    const { deadLetterId, deliveryId } = await seedDeliveries(sql, acme.slug, new Date(now));
    await sql`insert into switchyard.metric_relay_lag (hour, max_lag_ms, last_lag_ms, samples)
      select date_trunc('hour', now() - g * interval '1 hour', 'UTC'), 40 + (g * 37) % 400, 40, 1 from generate_series(0, 23) g`;

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const url = `${stack.base}/admin/dashboard`;
    const res = await page.goto(url);
    assert.equal(res?.status(), 200);
    await page.locator("#signin-form").waitFor();
    await page.fill("#key", SERVICE_KEY);
    await page.click("#signin-form button[type=submit]");

    await page.locator("#chart-throughput svg path.line").waitFor();
    for (const chart of ["#chart-throughput", "#chart-latency", "#chart-lag"]) {
      const d = await page.locator(`${chart} svg path.line`).first().getAttribute("d");
      assert.ok(d && d.split("L").length >= 20, `${chart} draws a line over the hours`);
    }
    assert.ok(await page.locator("#chart-deliveries svg rect.bar").count() >= 20);
    assert.equal(await page.locator(".chart .empty").count(), 0);
    assert.equal(await page.locator("#top-types li .name").first().textContent(), "order.created");
    assert.equal(await page.locator("#dlq tbody tr").count(), 1);
    assert.equal(
      await page.evaluate(() => sessionStorage.getItem("switchyard.serviceKey")),
      SERVICE_KEY,
    );
    await page.screenshot({ path: shot("dashboard-overview.png"), fullPage: true });

    // Per-tenant view: globex has its own history and no dead letters.
    await page.selectOption("#tenant", "globex");
    await page.waitForFunction(() =>
      document.querySelector("#top-types li .name")?.textContent === "invoice.issued"
    );
    assert.equal(await page.locator("#dlq-empty").isVisible(), true);
    assert.equal(await page.locator("#chart-deliveries .empty").count(), 1);
    await page.selectOption("#tenant", "");
    await page.locator(`#dlq tr[data-id="${deadLetterId}"] button.replay`).waitFor();

    // The key survives a reload (session storage) and the replay button puts the delivery back in the queue.
    await page.reload();
    const replay = page.locator(`#dlq tr[data-id="${deadLetterId}"] button.replay`);
    await replay.click();
    await page.locator("#toast").waitFor();
    assert.match(
      (await page.locator("#toast").textContent())!,
      /^Replayed/,
      "POST /admin/dlq/replay answered",
    );
    await page.locator("#dlq-empty").waitFor();
    const [delivery] = await sql<
      { status: string }[]
    >`select status from switchyard.deliveries where id = ${deliveryId}`;
    assert.equal(delivery.status, "pending");
    const [letter] = await sql<
      { replayed_at: Date | null }[]
    >`select replayed_at from switchyard.dead_letters where id = ${deadLetterId}`;
    assert.ok(letter.replayed_at);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await stack.close();
  }
});

Deno.test("the dashboard page and assets load without a key; its data needs one", async () => {
  const stack = await startStack({ store: "memory" });
  try {
    const page = await fetch(`${stack.base}/admin/dashboard`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy")!, /default-src 'none'/);
    assert.match(await page.text(), /<title>Switchyard/);
    for (const a of dashboardFiles) {
      const r = await fetch(`${stack.base}/admin/dashboard/assets/${a}`);
      assert.equal(r.status, 200, a);
      await r.body?.cancel();
    }
    const missing = await fetch(`${stack.base}/admin/dashboard/assets/..%2Fapp.ts`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const data = await fetch(`${stack.base}/admin/dashboard/api/overview`);
    assert.equal(data.status, 401);
    await data.body?.cancel();
    const bad = await fetch(`${stack.base}/admin/dashboard/api/overview?hours=0`, {
      headers: { authorization: `Bearer ${SERVICE_KEY}` },
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  } finally {
    await stack.close();
  }
});

Deno.test("the dashboard lists endpoints by health, browses events across tenants and opens any entity's timeline", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  const worker = runScheduledDeliveries(stack.ctx);
  const browser = await launchBrowser();
  try {
    const { sql } = stack.db;
    const admin = client(stack.base, SERVICE_KEY);
    await seedTenant(sql, "acme");
    await seedTenant(sql, "globex");
    const add = async (tenant: string, name: string, path: string) => {
      const r = await admin("POST", "/admin/endpoints", {
        tenant,
        name,
        url: `${receiver.url}${path}`,
        events: ["order.*"],
      });
      assert.equal(r.status, 201, r.text);
      return r.json.id as string;
    };
    const healthy = await add("acme", "acme-orders", "/ok");
    const failing = await add("globex", "globex-erp", "/down");
    const off = await add("globex", "globex-old", "/old");
    assert.equal(
      (await admin("POST", `/admin/endpoints/${off}/disable`, { reason: "retired" })).status,
      200,
    );
    receiver.respond((
      r,
    ) => (r.path === "/down" ? { status: 502, body: "bad gateway" } : undefined));
    let first = true;
    receiver.respond((r) => {
      if (r.path === "/down") return { status: 502, body: "bad gateway" };
      if (r.path === "/ok" && first) {
        first = false;
        return { status: 500, body: "try again" };
      }
    });
    await emitAndRoute(sql, [orderEvent("acme", "o-7"), orderEvent("globex", "g-7")]);
    await waitUntil("acme's o-7 delivered on its second try", async () => {
      const [d] =
        await sql`select status from switchyard.deliveries where endpoint_id = ${healthy}`;
      return d?.status === "delivered";
    });
    // The endpoint's shared breaker, as the delivery worker leaves it after a failure streak.
    await sql`update switchyard.endpoints set failure_streak = 5, failing_since = now(),
      breaker_open_until = now() + interval '1 hour' where id = ${failing}`;

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${stack.base}/admin/dashboard`);
    await page.fill("#key", SERVICE_KEY);
    await page.click("#signin-form button[type=submit]");

    const rows = page.locator("#health tbody tr");
    await rows.nth(2).waitFor();
    assert.deepEqual(
      await rows.evaluateAll((trs) =>
        trs.map((tr) => [(tr as HTMLElement).dataset.id, (tr as HTMLElement).dataset.health])
      ),
      [[failing, "breaker open"], [off, "disabled"], [healthy, "healthy"]],
    );
    assert.match((await rows.nth(1).textContent())!, /retired/);

    // Across tenants: both tenants' events, each a link to its timeline.
    const browse = page.locator("#browse tbody tr");
    await browse.nth(1).waitFor();
    assert.match(
      (await page.locator("#browse tbody").textContent())!,
      /acme[\s\S]*globex|globex[\s\S]*acme/,
    );
    await page.getByRole("button", { name: "Timeline of order o-7" }).click();
    const delivery = page.locator("#trace li.delivery");
    await delivery.first().waitFor();
    assert.equal(await page.locator("#trace-form [name=tenant]").inputValue(), "acme");
    assert.match((await delivery.first().textContent())!, /acme-orders/);
    const attempts = delivery.first().locator("li.attempt");
    assert.equal(await attempts.count(), 2);
    assert.match((await attempts.nth(0).textContent())!, /failed.*HTTP 500.*try again/s);
    assert.match((await attempts.nth(1).textContent())!, /ok.*HTTP 200/s);

    // One tenant chosen at the top: the browser and the health list show only it.
    await page.selectOption("#tenant", "globex");
    await page.waitForFunction(() =>
      document.querySelectorAll("#health tbody tr").length === 2 &&
      !document.querySelector("#browse tbody")!.textContent!.includes("acme")
    );
    await page.selectOption("#trace-form [name=tenant]", "globex");
    await page.fill("#trace-form [name=entityId]", "g-7");
    await page.click("#trace-form button[type=submit]");
    await page.waitForFunction(() =>
      document.querySelector("#trace li.delivery")?.textContent?.includes("globex-erp")
    );
    await page.evaluate(() => scrollTo(0, 0));
    await page.screenshot({ path: shot("dashboard.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await worker.stop();
    await receiver.close();
    await stack.close();
  }
});
