import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { launchBrowser, screenshotPath } from "./browser.ts";
import { startReceiver } from "./receiver.ts";
import { emitAndRoute, orderEvent, runScheduledDeliveries } from "./delivery-fixtures.ts";
import { waitUntil } from "./wait.ts";

const shot = (name: string) => screenshotPath("PORTAL_SCREENSHOTS", name);

Deno.test("a tenant's team opens its portal link, manages an endpoint, follows a timeline and replays a dead letter", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  const worker = runScheduledDeliveries(stack.ctx);
  const browser = await launchBrowser();
  try {
    const { sql } = stack.db;
    const admin = client(stack.base, SERVICE_KEY);
    const acme = await seedTenant(sql, "acme");
    const globex = await seedTenant(sql, "globex");
    // Another tenant's endpoint and entity, which acme's portal must never show.
    const other = await admin("POST", "/admin/endpoints", {
      tenant: globex.slug,
      url: `${receiver.url}/globex`,
      name: "globex-private-hook",
      events: ["*"],
    });
    assert.equal(other.status, 201, other.text);
    await emitAndRoute(sql, [orderEvent(globex.slug, "g-secret-1")]);

    const link = await admin("POST", "/admin/portal/links", { tenant: acme.slug });
    assert.equal(link.status, 201, link.text);
    const token = new URL(link.json.url).hash.replace("#token=", "");
    assert.match(token, /^spl_/);

    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    await page.goto(link.json.url);
    await page.locator("#app").waitFor();
    assert.equal(await page.locator("#tenant-name").textContent(), "Tenant acme");
    // The link's secret is gone from the address bar and from history; only a session is kept.
    assert.ok(!page.url().includes(token) && !page.url().includes("#"), page.url());
    const stored = await page.evaluate(() => sessionStorage.getItem("switchyard.portalSession"));
    assert.ok(stored && !stored.includes(token) && JSON.parse(stored).session.startsWith("sps_"));
    // Every control has a label a screen reader can read.
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea")]
        .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute("aria-label"))
        .map((el) => el.outerHTML)
    );
    assert.deepEqual(unlabelled, []);

    // The tabs work from the keyboard (arrow keys move between them).
    await page.getByRole("tab", { name: "Endpoints" }).focus();
    await page.keyboard.press("ArrowRight");
    assert.equal(
      await page.getByRole("tab", { name: "Event log" }).getAttribute("aria-selected"),
      "true",
    );
    assert.equal(await page.evaluate(() => document.activeElement?.id), "tab-events");
    await page.keyboard.press("ArrowLeft");
    assert.equal(await page.locator("#panel-endpoints").isVisible(), true);

    // Add an endpoint: its signing secret is shown once.
    await page.click("#add-endpoint");
    await page.fill("#ep-url", `${receiver.url}/acme`);
    await page.fill("#ep-name", "orders");
    await page.fill("#ep-events", "order.*");
    await page.click("#endpoint-save");
    await page.locator("#secret").waitFor();
    const firstSecret = (await page.locator("#secret-value").textContent())!;
    assert.match(firstSecret, /^whsec_/);
    await page.click("#secret-done");
    assert.equal(await page.locator("#secret-value").textContent(), "");
    const row = page.locator("#endpoints tbody tr", { hasText: "orders" });
    await row.waitFor();
    const endpointId = (await row.getAttribute("data-id"))!;
    assert.equal(
      await page.locator("#endpoints tbody tr").count(),
      1,
      "globex's endpoint not shown",
    );

    // Rotate its secret: a new one, shown once.
    await row.getByRole("button", { name: "Rotate secret" }).click();
    await page.waitForFunction(
      (old) => {
        const v = document.getElementById("secret-value")!.textContent!;
        return v.startsWith("whsec_") && v !== old;
      },
      firstSecret,
    );
    await page.click("#secret-done");

    // Send a test event.
    await row.getByRole("button", { name: "Send test" }).click();
    await page.waitForFunction(() =>
      document.getElementById("toast")!.textContent!.startsWith("Test sent: HTTP 200")
    );
    const test = await receiver.waitFor(1, 10_000, (r) => r.path === "/acme");
    assert.equal(JSON.parse(test[0].body).type, "switchyard.test");

    // An order whose first try fails and second succeeds.
    let tries = 0;
    receiver.respond((r) =>
      r.path === "/acme" && r.body.includes('"o-1"') && tries++ === 0
        ? { status: 500, body: "upstream exploded" }
        : undefined
    );
    await emitAndRoute(sql, [orderEvent(acme.slug, "o-1")]);
    await waitUntil("o-1 delivered after a retry", async () => {
      const [d] = await sql`select status from switchyard.deliveries where entity_id = 'o-1'`;
      return d?.status === "delivered";
    });
    await emitAndRoute(sql, [orderEvent(acme.slug, "o-1", "order.shipped", { status: "SHIPPED" })]);
    await waitUntil("o-1's second event delivered", async () => {
      const rows = await sql`select from switchyard.deliveries
        where entity_id = 'o-1' and status = 'delivered'`;
      return rows.length === 2;
    });

    // Find it in the event log and open its timeline: the failed, then the successful attempt.
    await page.getByRole("tab", { name: "Event log" }).click();
    await page.click("#events-form button[type=submit]");
    const entity = page.getByRole("button", { name: "Timeline of order o-1" }).first();
    await entity.waitFor();
    assert.equal(
      await page.locator("#events tbody", { hasText: "g-secret-1" }).count(),
      0,
      "globex's events not listed",
    );
    await entity.click();
    const delivery = page.locator("#timeline li.delivery");
    await delivery.nth(1).waitFor();
    assert.deepEqual(
      await page.locator("#timeline li.tl-event").evaluateAll((els) =>
        els.map((e) => (e as HTMLElement).dataset.type)
      ),
      ["order.confirmed", "order.shipped"],
      "the entity's events in order",
    );
    assert.equal(await delivery.first().getAttribute("data-status"), "delivered");
    const attempts = delivery.first().locator("li.attempt");
    assert.equal(await attempts.count(), 2);
    assert.match((await attempts.nth(0).textContent())!, /failed.*HTTP 500.*upstream exploded/s);
    assert.match((await attempts.nth(1).textContent())!, /ok.*HTTP 200/s);
    await page.evaluate(() => (document.getElementById("toast")!.hidden = true));
    await page.screenshot({ path: shot("portal-timeline.png"), fullPage: true });

    // Another tenant's entity is not there for this link.
    await page.fill("#timeline-form [name=entityType]", "order");
    await page.fill("#timeline-form [name=entityId]", "g-secret-1");
    await page.click("#timeline-form button[type=submit]");
    await page.locator("#timeline .empty").waitFor();

    // A dead letter, replayed from the portal.
    assert.equal(
      (await admin("PATCH", `/admin/endpoints/${endpointId}`, { retrySchedule: [] })).status,
      200,
    );
    let fail = true;
    receiver.respond((r) =>
      r.path === "/acme" && r.body.includes('"o-2"') && fail ? { status: 503 } : undefined
    );
    await emitAndRoute(sql, [orderEvent(acme.slug, "o-2")]);
    await waitUntil("o-2 dead-lettered", async () => {
      const [d] = await sql`select status from switchyard.deliveries where entity_id = 'o-2'`;
      return d?.status === "dead";
    });
    fail = false;
    await page.getByRole("tab", { name: "Dead letters" }).click();
    const replay = page.locator("#dlq tbody tr button.replay");
    await replay.waitFor();
    assert.equal(await page.locator("#dlq tbody tr").count(), 1);
    await replay.click();
    await page.locator("#dlq-empty").waitFor();
    await waitUntil("o-2 delivered after the replay", async () => {
      const [d] = await sql`select status from switchyard.deliveries where entity_id = 'o-2'`;
      return d?.status === "delivered";
    });

    // Edit the endpoint: same id, new name and patterns.
    await page.getByRole("tab", { name: "Endpoints" }).click();
    await row.getByRole("button", { name: "Edit" }).click();
    await page.fill("#ep-name", "orders and invoices");
    await page.fill("#ep-events", "order.*, invoice.*");
    await page.click("#endpoint-save");
    await page.locator("#endpoints tbody tr", { hasText: "orders and invoices" }).waitFor();
    const patterns = await sql<{ pattern: string }[]>`
      select pattern from switchyard.subscriptions where endpoint_id = ${endpointId} order by pattern`;
    assert.deepEqual(patterns.map((p) => p.pattern), ["invoice.*", "order.*"]);
    await page.evaluate(() => (document.getElementById("toast")!.hidden = true));
    await page.screenshot({ path: shot("portal.png"), fullPage: true });

    // On a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() =>
      Number(document.querySelector("#chart-endpoint-latency svg")?.getAttribute("width")) <= 390
    );
    const overflowing = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > innerWidth + 1)
        .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`)
    );
    assert.deepEqual(overflowing, [], "no sideways scrolling at 390 px");
    await page.screenshot({ path: shot("portal-phone.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });

    // Delete it while a delivery waits for its retry: the delivery is cancelled, visibly.
    assert.equal(
      (await admin("PATCH", `/admin/endpoints/${endpointId}`, { retrySchedule: [600_000] }))
        .status,
      200,
    );
    receiver.respond((r) => (r.path === "/acme" ? { status: 500 } : undefined));
    await emitAndRoute(sql, [orderEvent(acme.slug, "o-3")]);
    await waitUntil("o-3 waiting for a retry", async () => {
      const [d] =
        await sql`select status, tries from switchyard.deliveries where entity_id = 'o-3'`;
      return d?.status === "pending" && d.tries === 1;
    });
    const del = page.locator(`#endpoints tr[data-id="${endpointId}"] button.danger`);
    await del.click();
    assert.equal(await del.textContent(), "Confirm delete");
    await del.click();
    await page.waitForFunction(() =>
      document.getElementById("toast")!.textContent!.includes("1 pending delivery cancelled")
    );
    await page.locator("#endpoints-empty").waitFor();
    await page.getByRole("tab", { name: "Entity timeline" }).click();
    await page.fill("#timeline-form [name=entityId]", "o-3");
    await page.click("#timeline-form button[type=submit]");
    const cancelled = page.locator('#timeline li.delivery[data-status="cancelled"]');
    await cancelled.waitFor();
    assert.match((await cancelled.textContent())!, /cancelled: endpoint ep_\w+ was deleted/);

    assert.ok(!(await page.content()).includes("globex"), "nothing of globex on the page");
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await worker.stop();
    await receiver.close();
    await stack.close();
  }
});

Deno.test("an expired link shows a refusal, and a revoked link ends the open page's session", async () => {
  const stack = await startStack({ store: "memory" });
  const browser = await launchBrowser();
  try {
    const { sql } = stack.db;
    const admin = client(stack.base, SERVICE_KEY);
    const acme = await seedTenant(sql, "acme");
    const expired = await admin("POST", "/admin/portal/links", { tenant: acme.slug });
    await sql`update switchyard.portal_links set expires_at = now() - interval '1 second', created_at = now() - interval '1 hour'
      where id = ${expired.json.id}`;
    const page = await browser.context.newPage();
    await page.goto(expired.json.url);
    await page.locator("#refused").waitFor();
    assert.equal(await page.locator("#app").isVisible(), false);

    const link = await admin("POST", "/admin/portal/links", { tenant: acme.slug, readOnly: true });
    await page.goto("about:blank");
    await page.goto(link.json.url);
    await page.locator("#app").waitFor();
    assert.equal(await page.locator("#mode").textContent(), "read-only");
    assert.equal(await page.locator("#add-endpoint").isVisible(), false);
    assert.equal(
      (await admin("POST", `/admin/portal/links/${link.json.id}/revoke`, {})).status,
      200,
    );
    await page.reload();
    await page.locator("#refused").waitFor();
  } finally {
    await browser.close();
    await stack.close();
  }
});
