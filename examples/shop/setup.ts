/**
 * Everything the shop example needs, for `npm start -- --example shop` (load.ts) and its test alike:
 * the schema, the `shop` tenant and its catalogue, the helper servers on 127.0.0.1 and the endpoints
 * that point at them.
 */
import type { Logger } from "../../functions/_shared/log.ts";
import { createStore } from "../../functions/_shared/store/create.ts";
import { ensureEndpoint, ensureTenant } from "../_shared/admin.ts";
import { openExample } from "../_shared/local.ts";
import { startReceiver } from "./receiver.ts";
import { startReserver } from "./reserver.ts";
import { startStorefront } from "./storefront.ts";
import { declareExchange } from "./rabbitmq.ts";

export interface ShopOptions {
  env: Record<string, string>;
  log: Logger;
  /** 0 lets the OS pick (tests). */
  ports: { storefront: number; receiver: number; reserverA: number; reserverB: number };
  tenant?: string;
  /** Telegram chats for order confirmations; without them, the chats linked to the tenant. */
  telegramChats?: string[];
  receiverLogFile?: string;
  /** An amqp endpoint URL: every `order.*` event is also published there (its exchange is declared). */
  rabbitmqUrl?: string;
}

/** Short retries, so a refused or busy delivery comes back within seconds. */
const retrySchedule = [500, 1_000, 2_000, 4_000];

export async function startShop(opts: ShopOptions) {
  const tenant = opts.tenant ?? "shop";
  const { config, sql, api, running } = await openExample(
    opts.env,
    new URL("./schema.sql", import.meta.url),
    "example-shop",
  );
  try {
    await ensureTenant(api, tenant, "Example shop");
    await sql`select shop.seed_catalog(${tenant})`;

    const newStore = () =>
      createStore(
        { url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN },
        opts.log,
      );
    const first = newStore();
    // An in-process store is only shared when both instances hold the same one.
    const stores = [first, first.durable ? newStore() : first];
    const storefront = startStorefront({ port: opts.ports.storefront, sql, tenant });
    const receiver = startReceiver({ port: opts.ports.receiver, logFile: opts.receiverLogFile });
    // Two instances of the consumer, each with its own fast-store client, as two processes would have.
    const reservers = [
      startReserver({
        name: "stock-reserver-a",
        port: opts.ports.reserverA,
        sql,
        store: stores[0],
      }),
      startReserver({
        name: "stock-reserver-b",
        port: opts.ports.reserverB,
        sql,
        store: stores[1],
      }),
    ];
    running.add(storefront.stop, receiver.stop, ...reservers.map((r) => r.stop));

    const webhook = await ensureEndpoint(api, {
      tenant,
      name: "shop-receiver",
      kind: "webhook",
      url: `${receiver.url}/webhook`,
      events: ["order.*"],
      retrySchedule,
    });
    receiver.trust(webhook.secret);
    const consumers = [];
    for (const r of reservers) {
      // Both instances get every order.created at the same time: the lock and the processed keys decide.
      const ep = await ensureEndpoint(api, {
        tenant,
        name: r.name,
        kind: "webhook",
        url: `${r.url}/events`,
        events: ["order.created"],
        retrySchedule,
      });
      r.trust(ep.secret);
      consumers.push(ep);
    }
    let rabbitmq = null;
    if (opts.rabbitmqUrl) {
      await declareExchange(opts.rabbitmqUrl);
      rabbitmq = await ensureEndpoint(api, {
        tenant,
        name: "shop-rabbitmq",
        kind: "amqp",
        url: opts.rabbitmqUrl,
        events: ["order.*"],
        // Per order, the services see created before confirmed before cancelled.
        ordered: true,
        retrySchedule,
      });
    }
    const telegram = config.TELEGRAM_BOT_TOKEN
      ? await ensureEndpoint(api, {
        tenant,
        name: "shop-telegram",
        kind: "telegram",
        events: ["order.confirmed"],
        chats: opts.telegramChats,
        retrySchedule,
      })
      : null;
    return {
      tenant,
      sql,
      storefront,
      receiver,
      reservers,
      stop: running.stopAll,
      endpoints: { webhook, consumers, telegram, rabbitmq },
    };
  } catch (err) {
    await running.stopAll();
    throw err;
  }
}

export type Shop = Awaited<ReturnType<typeof startShop>>;
