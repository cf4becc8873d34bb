import assert from "node:assert/strict";
import { launchBrowser } from "./browser.ts";
import { seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { type Burst, seedBursts } from "./metrics_seed.ts";
import { seedDeliveries } from "./metrics_delivery_seed.ts";

const HOUR = 3_600_000;
const SCREENSHOT = Deno.env.get("DASHBOARD_SCREENSHOT") ??
  `${Deno.makeTempDirSync({ prefix: "dashboard-" })}/dashboard.png`;

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
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

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
    for (const a of ["app.js", "charts.js", "format.js", "dashboard.css"]) {
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
