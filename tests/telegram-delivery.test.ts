/**
 * The `telegram` connector against the fake Bot API: rendering and escaping, one message per
 * linked chat, 429 honoured, one message per second per chat, blocked chats unlinked. It is called
 * the way the delivery worker calls every connector.
 */
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { emitAndRoute, orderEvent } from "./delivery-fixtures.ts";
import { DeliveryWorker } from "../functions/_shared/delivery/worker.ts";
import { startFakeTelegram } from "./fake-telegram.ts";
import type { Clock } from "../functions/_shared/clock.ts";
import type { DeliveryEndpoint, DeliveryTry } from "../functions/_shared/delivery/connector.ts";
import type { LoggedEvent } from "../functions/_shared/events/envelope.ts";
import { senderFor, telegramConnector } from "../functions/_shared/telegram/connector.ts";
import { issueLinkCode, listChats, redeemLinkCode } from "../functions/_shared/telegram/linking.ts";
import { waitUntil } from "./wait.ts";
import { sleep } from "../functions/_shared/clock.ts";

/** The system clock, except that pending sleeps can all be ended at once (to stop a queue in a test). */
function cancellableClock(): Clock & { cancel(): void } {
  const pending = new Map<ReturnType<typeof setTimeout>, () => void>();
  return {
    now: () => Date.now(),
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const id = setTimeout(() => {
          pending.delete(id);
          resolve();
        }, ms);
        pending.set(id, resolve);
      }),
    cancel() {
      for (const [id, resolve] of pending) {
        clearTimeout(id);
        resolve();
      }
      pending.clear();
    },
  };
}

async function setup(chatIds: number[]) {
  const fake = startFakeTelegram();
  const clock = cancellableClock();
  const stack = await startStack({ env: fake.env, clock });
  const { slug } = await seedTenant(stack.db.sql);
  for (const id of chatIds) {
    const { code } = await issueLinkCode(stack.db.sql, slug, clock);
    assert.ok(
      (await redeemLinkCode(stack.db.sql, code, { id, type: "private", first_name: "Ana" }, clock))
        .ok,
    );
  }
  const endpoint = (over: Partial<DeliveryEndpoint> = {}): DeliveryEndpoint => ({
    id: "ep_test",
    tenant: slug,
    kind: "telegram",
    name: null,
    url: null,
    secrets: [],
    headers: {},
    credentials: null,
    transform: null,
    timeoutMs: 10_000,
    chats: [],
    ...over,
  });
  let n = 0;
  const event = (over: Partial<LoggedEvent> = {}): LoggedEvent => ({
    seq: ++n,
    id: `evt_${n}`,
    type: "order.confirmed",
    timestamp: new Date().toISOString(),
    tenant: slug,
    entity: { type: "order", id: "o-123" },
    version: n,
    recordedAt: new Date().toISOString(),
    dedupKey: null,
    correlationId: null,
    causationId: null,
    data: {},
    metadata: {},
    ...over,
  });
  const delivery = (id = `dlv_${crypto.randomUUID()}`): DeliveryTry => ({
    id,
    tenant: slug,
    endpointId: "ep_test",
    eventId: "evt",
    attempt: 1,
    replay: false,
  });
  const send = (ep = endpoint(), ev = event(), dl = delivery()) =>
    telegramConnector.send(stack.ctx, dl, ep, ev);
  return {
    fake,
    clock,
    stack,
    slug,
    endpoint,
    event,
    delivery,
    send,
    async close() {
      senderFor(stack.ctx).close();
      clock.cancel();
      await stack.close();
      await fake.close();
    },
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** A test with its own stack, fake Bot API and linked chats, all stopped afterwards. */
function connectorTest(name: string, chats: number[], fn: (t: Setup) => Promise<void>) {
  Deno.test(name, async () => {
    const t = await setup(chats);
    try {
      await fn(t);
    } finally {
      await t.close();
    }
  });
}

connectorTest(
  "an order.confirmed event becomes one sendMessage to each linked chat",
  [111, 222],
  async (t) => {
    const result = await t.send();
    assert.equal(result.ok, true, result.error ?? "");
    const sent = t.fake.sent().sort((a, b) => a.chatId.localeCompare(b.chatId));
    assert.deepEqual(sent.map((s) => [s.chatId, s.text, s.parseMode]), [
      ["111", "✅ Tu orden o-123 ha sido confirmada", "HTML"],
      ["222", "✅ Tu orden o-123 ha sido confirmada", "HTML"],
    ]);
    await t.send(t.endpoint({ transform: { language: "en" }, chats: ["333"] }));
    assert.deepEqual(t.fake.sent("333").map((s) => s.text), [
      "✅ Your order o-123 has been confirmed",
    ]);
  },
);

connectorTest("event data containing <b> or & arrives escaped", [111], async (t) => {
  const ep = t.endpoint({
    transform: { templates: { "order.confirmed": "<b>{{entity.id}}</b>: {{data.note}}" } },
  });
  const ev = t.event({
    entity: { type: "order", id: "o-<b>1</b>" },
    data: { note: `<b>bold</b> & "co" <a href='x'>` },
  });
  assert.equal((await t.send(ep, ev)).ok, true);
  assert.deepEqual(t.fake.sent("111").map((s) => s.text), [
    "<b>o-&lt;b&gt;1&lt;/b&gt;</b>: &lt;b&gt;bold&lt;/b&gt; &amp; &quot;co&quot; &lt;a href=&#39;x&#39;&gt;",
  ]);
});

connectorTest(
  "a retried delivery reaches only the chats that did not get it",
  [111, 222],
  async (t) => {
    t.fake.rateLimit(222, 1, 4);
    const dl = t.delivery();
    const first = await t.send(undefined, undefined, dl);
    assert.equal(first.ok, false);
    assert.equal(first.permanent, undefined);
    assert.equal(
      first.retryAfterMs,
      1_000,
      "after 3 resends the 429 goes back to the retry path with its wait",
    );
    assert.equal(t.fake.calls.filter((c) => c.body.chat_id === "222").length, 4);
    const second = await t.send(undefined, undefined, { ...dl, attempt: 2 });
    assert.equal(second.ok, true, second.error ?? "");
    assert.deepEqual(t.fake.sent().map((s) => s.chatId).sort(), ["111", "222"]);
  },
);

connectorTest(
  "a 429 with retry_after 1 is resent after about a second and delivered once",
  [111],
  async (t) => {
    t.fake.rateLimit(111, 1);
    const result = await t.send();
    assert.equal(result.ok, true, result.error ?? "");
    const calls = t.fake.calls.filter((c) => c.method === "sendMessage");
    assert.equal(calls.length, 2);
    assert.equal(t.fake.sent("111").length, 1);
    const gap = calls[1].at - calls[0].at;
    console.log(`429 → resent after ${gap} ms`);
    assert.ok(gap >= 950 && gap < 3_000, `resent after ${gap} ms`);
  },
);

connectorTest(
  "100 events for one chat leave at no more than about one per second",
  [111],
  async (t) => {
    const started = Date.now();
    const pending = Array.from(
      { length: 100 },
      (_, i) => t.send(undefined, t.event({ entity: { type: "order", id: `o-${i}` } })),
    );
    await sleep(5_000);
    const sent = t.fake.sent("111").filter((s) => s.at < started + 5_000);
    const gaps = sent.slice(1).map((s, i) => s.at - sent[i].at);
    console.log(`in 5 s: ${sent.length} messages, gaps ${gaps.join(", ")} ms`);
    assert.ok(sent.length >= 4 && sent.length <= 6, `${sent.length} messages in 5 s`);
    assert.ok(gaps.every((g) => g >= 900), `gaps ${gaps}`);
    senderFor(t.stack.ctx).close();
    t.clock.cancel();
    const results = await Promise.all(pending);
    const queuedBack = results.filter((r) => !r.ok && r.retryAfterMs !== undefined).length;
    console.log(
      `${
        results.filter((r) => r.ok).length
      } sent, ${queuedBack} handed back with retryAfterMs (queue bound: the endpoint timeout, 10 s), rest stopped`,
    );
    assert.ok(results.every((r) => r.ok || !r.permanent), "nothing was dropped for good");
    const handedBack = results.filter((r) => !r.ok && r.retryAfterMs !== undefined);
    assert.ok(
      handedBack.length > 0 && handedBack.every((r) => r.deferred),
      "flood control defers: the worker queues them without spending tries",
    );
  },
);

connectorTest(
  "a chat that blocked the bot is marked blocked and the others still get the message",
  [111, 222],
  async (t) => {
    t.fake.block(222);
    const result = await t.send();
    assert.equal(result.ok, true, result.error ?? "");
    assert.match(result.responseExcerpt ?? "", /blocked by the user/);
    const chats = await listChats(t.stack.db.sql, t.slug);
    assert.deepEqual(chats.map((c) => [c.chatId, c.status]), [["111", "active"], [
      "222",
      "blocked",
    ]]);
    assert.match(chats[1].statusReason ?? "", /^403: Forbidden: bot was blocked/);

    await t.send();
    assert.equal(
      t.fake.calls.filter((c) => c.body.chat_id === "222").length,
      1,
      "a blocked chat is not tried again",
    );

    t.fake.block(111);
    const last = await t.send();
    assert.equal(last.ok, false);
    assert.equal(last.permanent, true, "when every chat is gone the delivery fails for good");
    const none = await t.send();
    assert.equal(none.permanent, true);
    assert.match(none.error ?? "", /no linked Telegram chats/);
  },
);

connectorTest(
  "through the delivery path: endpoint from the admin API, routed event, worker sends, delivery done",
  [111, 222],
  async (t) => {
    const admin = client(`${t.stack.base}/admin`, SERVICE_KEY);
    const created = await admin("POST", "/endpoints", {
      tenant: t.slug,
      kind: "telegram",
      name: "orders",
      events: ["order.*"],
    });
    assert.equal(created.status, 201, created.text);
    const { routed } = await emitAndRoute(t.stack.db.sql, [orderEvent(t.slug, "o-9&<1>")]);
    assert.equal(routed, 1);
    const worker = new DeliveryWorker(t.stack.ctx);
    await worker.drain();
    const sent = await waitUntil(
      "both chats",
      () => t.fake.sent().length === 2 && t.fake.sent(),
    );
    assert.deepEqual(
      sent.map((s) => s.text),
      Array(2).fill("✅ Tu orden o-9&amp;&lt;1&gt; ha sido confirmada"),
    );
    const [delivery] = await t.stack.db.sql`select status from switchyard.deliveries`;
    assert.equal(delivery.status, "delivered");
  },
);

connectorTest(
  "an endpoint's language and per-type templates set through the admin API shape the message",
  [111],
  async (t) => {
    const admin = client(`${t.stack.base}/admin`, SERVICE_KEY);
    const created = await admin("POST", "/endpoints", {
      tenant: t.slug,
      kind: "telegram",
      events: ["order.*"],
      transform: { language: "en", templates: { "order.rejected": "❌ {{entity.id}} rejected" } },
    });
    assert.equal(created.status, 201, created.text);
    const refused = await admin("POST", "/endpoints", {
      tenant: t.slug,
      kind: "telegram",
      events: ["order.*"],
      transform: { language: "fr" },
    });
    assert.equal(refused.status, 400, "an unknown language is refused");
    await emitAndRoute(t.stack.db.sql, [orderEvent(t.slug, "o-1"), {
      ...orderEvent(t.slug, "o-2"),
      type: "order.rejected",
    }]);
    await new DeliveryWorker(t.stack.ctx).drain();
    const sent = await waitUntil(
      "two messages",
      () => t.fake.sent().length === 2 && t.fake.sent(),
    );
    assert.deepEqual(
      sent.map((s) => s.text).sort(),
      ["✅ Your order o-1 has been confirmed", "❌ o-2 rejected"].sort(),
    );
  },
);
