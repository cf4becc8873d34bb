import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { type Endpoint, endpointFields, KINDS, withoutSecret } from "../../endpoints.ts";
import { UsageError } from "../../errors.ts";
import {
  BROKER_SCHEMES,
  duration,
  durations,
  json,
  patterns,
  targetUrl,
  tenant,
  transformFile,
} from "../../flags.ts";

export default class EndpointsAdd extends AdminCommand {
  static summary =
    "Add an endpoint and subscribe it to event patterns; prints its signing secret once";
  static description =
    "Webhooks are signed per Standard Webhooks with the secret printed here. --kind telegram needs no --url: it sends to the tenant's linked chats. --kind amqp|nats|mqtt publish to a broker and count as delivered only once it confirmed (publisher confirm, JetStream ack, PUBACK); the message carries the same signed webhook-* headers.";
  static examples = [
    "<%= config.bin %> endpoints add --tenant acme --url https://example.com/hooks --events 'order.*,product.*'",
    `<%= config.bin %> endpoints add --tenant acme --url https://example.com/hooks --events 'order.*' --filter '{"data.status":["CONFIRMED","SHIPPED"]}'`,
    `<%= config.bin %> endpoints add --tenant acme --kind rest --url https://erp.example.com/api/orders --events order.confirmed --header x-api-version=2 --credentials '{"type":"bearer","token":"…"}' --timeout 5s --retry-schedule 1s,10s,1m`,
    `<%= config.bin %> endpoints add --tenant acme --kind amqp --url 'amqp://rabbit.example:5672/shop?exchange=orders&routingKey={{type}}' --events 'order.*' --credentials '{"type":"basic","username":"shop","password":"…"}'`,
    `<%= config.bin %> endpoints add --tenant acme --kind nats --url 'nats://nats.example:4222?subject=shop.{{type}}&stream=ORDERS' --events 'order.*'`,
    `<%= config.bin %> endpoints add --tenant acme --kind mqtt --url 'mqtts://mqtt.example?topic=shop/orders/{{entity.id}}&qos=1' --events 'order.*'`,
    `<%= config.bin %> endpoints add --tenant acme --kind telegram --events 'order.confirmed' --transform ./confirmed.json   # {"text": "✅ Tu orden {{entity.id}} ha sido confirmada"}`,
  ];
  static flags = {
    tenant: tenant({ required: true }),
    kind: Flags.string({
      description: "what the endpoint is",
      options: [...KINDS],
      default: "webhook",
    }),
    url: targetUrl({
      description:
        "target URL (not for --kind telegram); amqp://host/vhost?exchange=&routingKey=, nats://host?subject=&stream=[&atMostOnce=true], mqtt://host?topic=&qos=",
    }),
    events: patterns({ description: "comma-separated event types or patterns", default: ["*"] }),
    filter: json({ description: "JSON filter on the event" }),
    transform: transformFile({
      description:
        "JSON file: body (webhook, rest), method, envelope (soap), query (graphql) or text (telegram) templates",
    }),
    header: Flags.string({
      description: "extra header on every request (repeatable)",
      helpValue: "<name=value>",
      multiple: true,
    }),
    credentials: json({
      description:
        '{"type":"basic","username","password"} | {"type":"bearer","token"} | {"type":"header","name","value"}; stored encrypted (brokers: basic; nats also bearer = token)',
    }),
    timeout: duration({ description: "request timeout (default 10s)" }),
    "retry-schedule": durations({ description: "waits between retries (default 1s,2s,4s,8s,16s)" }),
    ordered: Flags.boolean({ description: "deliver one entity's events strictly in order" }),
    "rate-limit": Flags.integer({ description: "at most this many requests per second", min: 1 }),
    chat: Flags.string({
      description: "Telegram chat id to send to (repeatable; default: every linked chat)",
      multiple: true,
    }),
    name: Flags.string({ description: "a name to recognise it by" }),
  };

  async run(): Promise<Endpoint & { secret?: string }> {
    const { flags } = await this.parse(EndpointsAdd);
    if (!flags.url && flags.kind !== "telegram") {
      throw new UsageError(`--url is required for --kind ${flags.kind}`);
    }
    if (flags.url) {
      const scheme = new URL(flags.url).protocol;
      const broker = BROKER_SCHEMES[flags.kind];
      if (broker && !broker.includes(scheme)) {
        throw new UsageError(
          `--kind ${flags.kind} needs a ${broker.map((s) => `${s}//`).join(" or ")} URL`,
        );
      }
      const brokerKind = Object.keys(BROKER_SCHEMES).find((k) =>
        BROKER_SCHEMES[k].includes(scheme)
      );
      if (!broker && brokerKind) {
        throw new UsageError(`a ${scheme}// URL needs --kind ${brokerKind}`);
      }
    }
    const body = {
      tenant: flags.tenant,
      kind: flags.kind,
      ...endpointFields({ ...flags, ordered: flags.ordered || undefined }),
    };
    const created = await this.api.post<Endpoint & { secret?: string }>("/endpoints", body);
    this.record(withoutSecret(created));
    if (created.secret) {
      this.log(`\nSigning secret (shown once, store it now):\n\n  ${created.secret}\n`);
    }
    return created;
  }
}
