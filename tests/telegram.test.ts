/** The bot end to end: one-time codes from the admin function, /start over the webhook, /status, /stop. */
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { FAKE_SECRET, startFakeTelegram, textUpdate } from "./fake-telegram.ts";

async function setup() {
  const fake = startFakeTelegram();
  const stack = await startStack({ env: fake.env });
  const admin = client(`${stack.base}/admin`, SERVICE_KEY);
  const { slug } = await seedTenant(stack.db.sql);
  const post = (update: unknown, secret: string | null = FAKE_SECRET) =>
    fetch(`${stack.base}/telegram`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }),
      },
      body: typeof update === "string" ? update : JSON.stringify(update),
    }).then(async (r) => ({ status: r.status, text: await r.text() }));
  const link = async () =>
    (await admin("POST", "/telegram/link", { tenant: slug })).json as {
      code: string;
      expiresAt: string;
    };
  const chats = async () =>
    (await admin("GET", `/telegram/chats?tenant=${slug}`)).json.items as {
      chatId: string;
      status: string;
    }[];
  const lastReply = (chatId: number) => fake.sent(chatId).at(-1)?.text ?? "";
  return {
    fake,
    stack,
    admin,
    slug,
    post,
    link,
    chats,
    lastReply,
    async close() {
      await stack.close();
      await fake.close();
    },
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** A test with its own stack and fake Bot API, both stopped afterwards. */
function botTest(name: string, fn: (t: Setup) => Promise<void>) {
  Deno.test(name, async () => {
    const t = await setup();
    try {
      await fn(t);
    } finally {
      await t.close();
    }
  });
}

botTest("a one-time code links the chat that sends /start with it, once", async (t) => {
  const res = await t.admin("POST", "/telegram/link", { tenant: t.slug });
  assert.equal(res.status, 201);
  const { code, expiresAt } = res.json;
  assert.match(code, /^[A-Za-z0-9]{20}$/);
  const ttl = Date.parse(expiresAt) - Date.now();
  assert.ok(ttl > 14 * 60_000 && ttl <= 15 * 60_000, `expires in ${ttl} ms`);
  const stored = await t.stack.db.sql`select hash from switchyard.telegram_link_codes`;
  assert.notEqual(stored[0].hash, code, "only a hash of the code is stored");

  assert.equal((await t.post(textUpdate(1001, `/start ${code}`))).status, 200);
  const linked = await t.chats();
  assert.deepEqual(linked.map((c) => [c.chatId, c.status]), [["1001", "active"]]);
  assert.ok("linkedAt" in linked[0] && "username" in linked[0]);
  assert.match(t.lastReply(1001), new RegExp(`notifications from <b>${t.slug}</b>`));

  assert.equal((await t.post(textUpdate(2002, `/start ${code}`))).status, 200);
  assert.match(t.lastReply(2002), /already been used/);
  assert.equal(
    (await t.post(textUpdate(2002, "/start nosuchcode", { languageCode: "es" }))).status,
    200,
  );
  assert.match(t.lastReply(2002), /no es válido/);
  assert.deepEqual((await t.chats()).map((c) => c.chatId), ["1001"]);
});

botTest("an expired code is refused", async (t) => {
  const { code } = await t.link();
  await t.stack.db
    .sql`update switchyard.telegram_link_codes set created_at = now() - interval '20 minutes', expires_at = now() - interval '5 minutes'`;
  await t.post(textUpdate(3003, `/start ${code}`));
  assert.match(t.lastReply(3003), /expired/);
  assert.deepEqual(await t.chats(), []);
});

botTest("a wrong or missing webhook secret gets 401 and nothing is processed", async (t) => {
  const { code } = await t.link();
  const before = t.fake.calls.length;
  const wrong = await t.post(textUpdate(4004, `/start ${code}`), "not-the-secret");
  assert.equal(wrong.status, 401);
  assert.equal(JSON.parse(wrong.text).error.code, "unauthorized");
  assert.equal((await t.post(textUpdate(4004, `/start ${code}`), null)).status, 401);
  assert.deepEqual(await t.chats(), []);
  assert.equal(t.fake.calls.length, before, "no Bot API call was made");
  // The code was not spent: the genuine update still links.
  await t.post(textUpdate(4004, `/start ${code}`));
  assert.deepEqual((await t.chats()).map((c) => c.chatId), ["4004"]);
});

botTest(
  "/status lists the telegram endpoints and patterns, /stop unlinks, anything else gets help",
  async (t) => {
    const [ep] = await t.stack.db.sql`insert into switchyard.endpoints (tenant, name, kind, secret)
    values (${t.slug}, 'orders <bot>', 'telegram', 'v1.not.used') returning id`;
    await t.stack.db.sql`insert into switchyard.subscriptions (tenant, endpoint_id, pattern)
    values (${t.slug}, ${ep.id}, 'order.*'), (${t.slug}, ${ep.id}, 'delivery.dead')`;
    await t.post(textUpdate(5005, "/status"));
    assert.match(t.lastReply(5005), /not linked/);
    await t.post(textUpdate(5005, `/start ${(await t.link()).code}`));
    await t.post(textUpdate(5005, "/status"));
    const status = t.lastReply(5005);
    assert.ok(status.includes(`<b>${t.slug}</b>`), status);
    assert.ok(
      status.includes("orders &lt;bot&gt;: <code>delivery.dead</code>, <code>order.*</code>"),
      status,
    );

    await t.post(textUpdate(5005, "hello"));
    assert.match(t.lastReply(5005), /^Commands:/);
    await t.post(textUpdate(5005, "/help"));
    assert.match(t.lastReply(5005), /\/stop/);

    await t.post(textUpdate(5005, "/stop"));
    assert.match(t.lastReply(5005), /Unlinked/);
    assert.deepEqual((await t.chats()).map((c) => [c.chatId, c.status]), [["5005", "unlinked"]]);
  },
);

botTest(
  "an update the bot cannot use is answered 200 and ignored, so Telegram does not redeliver it",
  async (t) => {
    const { code } = await t.link();
    const good = textUpdate(6006, `/start ${code}`);
    const before = t.fake.calls.length;
    for (
      const update of [
        { update_id: 1, message: { text: `/start ${code}` } },
        { update_id: "one" },
        {},
        { ...good, message: { ...good.message, chat: { ...good.message.chat, id: "6006" } } },
        { ...good, message: { ...good.message, chat: { ...good.message.chat, type: "nope" } } },
        {
          ...good,
          message: { ...good.message, chat: { ...good.message.chat, first_name: "\ud800" } },
        },
        { ...good, message: { ...good.message, text: `/start ${code}\u0000` } },
        { ...good, message: { ...good.message, entities: [{ type: "bot_command", offset: -1 }] } },
      ]
    ) {
      const res = await t.post(update);
      assert.equal(res.status, 200, `${JSON.stringify(update)}: ${res.text}`);
      assert.equal(JSON.parse(res.text).ignored, true);
    }
    assert.equal((await t.post("not json at all")).status, 400);
    assert.deepEqual(await t.chats(), [], "no chat was linked");
    assert.equal(t.fake.calls.length, before, "no Bot API call was made");
    // The code was not spent: the well-formed update still links.
    assert.equal((await t.post(good)).status, 200);
    assert.deepEqual((await t.chats()).map((c) => c.chatId), ["6006"]);
  },
);

botTest("set-webhook registers our URL with the secret token", async (t) => {
  const res = await t.admin("POST", "/telegram/set-webhook", {
    url: "https://example.com/functions/v1/telegram",
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { ok: true, url: "https://example.com/functions/v1/telegram" });
  const call = t.fake.calls.find((c) => c.method === "setWebhook")!;
  assert.equal(call.body.url, "https://example.com/functions/v1/telegram");
  assert.equal(call.body.secret_token, FAKE_SECRET);
});

Deno.test("without a bot token the webhook says Telegram is off", async () => {
  const stack = await startStack({ store: "memory" });
  try {
    const res = await fetch(`${stack.base}/telegram`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 503);
    assert.match((await res.json()).error.message, /TELEGRAM_BOT_TOKEN is not set/);
  } finally {
    await stack.close();
  }
});
