import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { type Endpoint, endpointFields, withoutSecret } from "../../endpoints.ts";
import { UsageError } from "../../errors.ts";
import {
  duration,
  durations,
  idArg,
  json,
  patterns,
  targetUrl,
  transformFile,
} from "../../flags.ts";

/** What `--clear` may unset, and the field of the admin API it clears. */
const CLEARABLE = {
  name: "name",
  filter: "filter",
  transform: "transform",
  credentials: "credentials",
  "rate-limit": "rateLimitPerSecond",
} as const;

export default class EndpointsUpdate extends AdminCommand {
  static summary = "Edit an endpoint in place: same id, same signing secret";
  static description =
    "Only the flags given change. New --events or --filter replace the endpoint's subscriptions; deliveries already made keep going. A new --url passes the same address checks as endpoints add.";
  static examples = [
    "<%= config.bin %> endpoints update ep_… --url https://example.com/hooks/v2",
    "<%= config.bin %> endpoints update ep_… --events 'order.*,invoice.*' --clear filter",
    "<%= config.bin %> endpoints update ep_… --timeout 5s --retry-schedule 1s,10s,1m --no-ordered",
  ];
  static args = { id: idArg({ description: "endpoint id", required: true }) };
  static flags = {
    url: targetUrl({
      description: "new target URL (a broker URL for amqp, nats and mqtt endpoints)",
    }),
    events: patterns({ description: "comma-separated event types or patterns (replaces them)" }),
    filter: json({ description: "JSON filter on the event (replaces it)" }),
    transform: transformFile({
      description: "JSON file with the endpoint's templates (replaces them)",
    }),
    header: Flags.string({
      description: "extra header on every request (repeatable; replaces all of them)",
      helpValue: "<name=value>",
      multiple: true,
    }),
    credentials: json({ description: "new credentials (see endpoints add); stored encrypted" }),
    timeout: duration({ description: "request timeout" }),
    "retry-schedule": durations({ description: "waits between retries, e.g. 1s,10s,1m" }),
    ordered: Flags.boolean({
      description: "deliver one entity's events strictly in order",
      allowNo: true,
    }),
    "rate-limit": Flags.integer({ description: "at most this many requests per second", min: 1 }),
    chat: Flags.string({
      description: "Telegram chat id (repeatable; replaces them)",
      multiple: true,
    }),
    name: Flags.string({ description: "a name to recognise it by" }),
    clear: Flags.string({
      description: "unset these (comma-separated)",
      helpValue: Object.keys(CLEARABLE).join("|"),
      multiple: true,
      delimiter: ",",
      options: Object.keys(CLEARABLE),
    }),
  };

  async run(): Promise<Record<string, unknown>> {
    const { args, flags } = await this.parse(EndpointsUpdate);
    const patch = endpointFields(flags);
    for (const c of flags.clear ?? []) {
      const field = CLEARABLE[c as keyof typeof CLEARABLE];
      if (patch[field] !== undefined) throw new UsageError(`--clear ${c} and --${c} contradict`);
      patch[field] = null;
    }
    if (Object.keys(patch).length === 0) {
      throw new UsageError("nothing to change: give at least one flag (see --help)");
    }
    const endpoint = withoutSecret(
      await this.api.request<Endpoint>("PATCH", `/endpoints/${encodeURIComponent(args.id)}`, {
        body: patch,
      }),
    );
    this.record(endpoint);
    return endpoint;
  }
}
