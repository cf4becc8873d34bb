/** `npm start -- --example shop`: sets the shop up in the running stack and prints what to try. */
import type { Logger } from "../../functions/_shared/log.ts";
import { type Shop, startShop } from "./setup.ts";
import { defaultRabbitUrl } from "./rabbitmq.ts";

const ports = { storefront: 8090, receiver: 8091, reserverA: 8092, reserverB: 8093 };
const stateDir = new URL("../../.switchyard", import.meta.url).pathname;

export async function load({ env, log }: { env: Record<string, string>; log: Logger }) {
  const chat = env.SHOP_TELEGRAM_CHAT_ID;
  const rabbitmqUrl = env.SHOP_RABBITMQ_URL ??
    (env.SHOP_RABBITMQ === "1" ? defaultRabbitUrl : undefined);
  const shop = await startShop({
    env,
    log,
    ports,
    telegramChats: chat ? [chat] : undefined,
    receiverLogFile: `${env.SWITCHYARD_STATE_DIR ?? stateDir}/shop-webhooks.jsonl`,
    // SHOP_RABBITMQ=1 publishes order.* to the local RabbitMQ; SHOP_RABBITMQ_URL to another one.
    rabbitmqUrl,
  });
  console.log(tryThis(shop, env, rabbitmqUrl));
  return shop.stop;
}

function tryThis(shop: Shop, env: Record<string, string>, rabbitmqUrl?: string): string {
  const s = shop.storefront.url;
  const telegram = shop.endpoints.telegram
    ? `Telegram: "✅ Tu orden … ha sido confirmada" goes to ${
      env.SHOP_TELEGRAM_CHAT_ID
        ? `chat ${env.SHOP_TELEGRAM_CHAT_ID}`
        : "the chats linked with `npx switchyard telegram link --tenant shop`"
    }.`
    : "Telegram is off (set TELEGRAM_BOT_TOKEN and SHOP_TELEGRAM_CHAT_ID to get the confirmations there).";
  const rabbit = shop.endpoints.rabbitmq
    ? `RabbitMQ: order.* is published to ${rabbitmqUrl}
  (watch it: npx deno run -A examples/shop/rabbitmq.ts ${shop.endpoints.rabbitmq.secret} '${rabbitmqUrl}')`
    : "RabbitMQ is off (SHOP_RABBITMQ=1 publishes order.* to the local RabbitMQ).";
  return `
Example "shop" is loaded (tenant ${shop.tenant}).
  storefront        ${s}          (POST /orders, POST /orders/:id/cancel, GET /orders/:id, GET /products)
  webhook receiver  ${shop.receiver.url}/received
  stock reservers   ${shop.reservers.map((r) => `${r.url}/stats`).join("  ")}
  ${telegram}
  ${rabbit}

Try:
  curl -s ${s}/products
  curl -s -X POST ${s}/orders -H 'content-type: application/json' -d '{"orderId":"o-1","sku":"MUG","qty":2}'
  curl -s -X POST ${s}/orders -H 'content-type: application/json' -d '{"orderId":"o-2","sku":"TSHIRT","qty":5}'
  curl -s ${s}/orders/o-1            # CONFIRMED (o-2: REJECTED, only 3 T-shirts)
  curl -s -X POST ${s}/orders/o-1/cancel
  curl -s ${shop.receiver.url}/received
  curl -s ${shop.reservers[0].url}/stats; curl -s ${shop.reservers[1].url}/stats
  npx switchyard events list --tenant ${shop.tenant}
  npx switchyard deliveries list --tenant ${shop.tenant}
`;
}
