import { Flags } from "@oclif/core";
import { AdminCommand } from "../base.ts";
import { eventPattern, tenant, time } from "../flags.ts";
import { drain, sum } from "../pages.ts";

interface ReplayPage {
  created: number;
  scanned: number;
  nextCursor: string | null;
  done: boolean;
}

export default class Replay extends AdminCommand {
  static summary = "Deliver a tenant's past events again, to every matching endpoint or one";
  static description =
    "Runs page by page and shows progress; safe to interrupt and re-run with --cursor from the last progress line.";
  static examples = [
    "<%= config.bin %> replay --tenant acme --from 2026-11-24T00:00:00Z",
    "<%= config.bin %> replay --tenant acme --from 6h --type 'order.*' --endpoint ep_…",
  ];
  static flags = {
    tenant: tenant({ required: true }),
    from: time({
      description: "events from this time (ISO-8601, or a duration ago: 6h)",
      required: true,
    }),
    to: time({ description: "up to this time (default now)" }),
    type: eventPattern(),
    endpoint: Flags.string({ description: "only this endpoint" }),
    cursor: Flags.string({ description: "resume where an interrupted replay stopped" }),
  };

  async run(): Promise<{ created: number; scanned: number; done: true }> {
    const { flags } = await this.parse(Replay);
    const { tenant, from, to, type, endpoint } = flags;
    const pages = await drain(
      (cursor) =>
        this.api.post<ReplayPage>("/replay", {
          tenant,
          from,
          to,
          type,
          endpoint,
          cursor: cursor ?? flags.cursor,
        }),
      (page, pages) =>
        this.note(
          `… scanned ${sum(pages, "scanned")} events, created ${sum(pages, "created")} deliveries${
            page.nextCursor && !page.done ? ` (cursor ${page.nextCursor})` : ""
          }`,
        ),
    );
    const total = {
      created: sum(pages, "created"),
      scanned: sum(pages, "scanned"),
      done: true as const,
    };
    this.log(`replay done: scanned ${total.scanned} events, created ${total.created} deliveries`);
    return total;
  }
}
