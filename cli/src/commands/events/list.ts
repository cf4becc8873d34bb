import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { UsageError } from "../../errors.ts";
import { type Envelope, eventColumns } from "../../events.ts";
import { eventPattern, limit, tenant, time } from "../../flags.ts";

export default class EventsList extends AdminCommand {
  static summary = "Query the event log, newest first";
  static examples = [
    "<%= config.bin %> events list --tenant acme --type 'order.*' --from 2h",
    "<%= config.bin %> events list --entity order:o-123 --json",
    "<%= config.bin %> events list --tenant acme --from 2026-11-24T00:00:00Z --to 2026-11-25T00:00:00Z --limit 500",
  ];
  static flags = {
    tenant: tenant(),
    type: eventPattern(),
    entity: Flags.string({ description: "one entity, as type:id", helpValue: "<type:id>" }),
    from: time({ description: "from this time (ISO-8601, or a duration ago: 2h)" }),
    to: time({ description: "up to this time (ISO-8601, or a duration ago)" }),
    limit: limit,
    cursor: Flags.string({ description: "continue from a previous page's nextCursor" }),
  };

  async run(): Promise<{ items: Envelope[]; nextCursor: string | null }> {
    const { flags } = await this.parse(EventsList);
    const entity = flags.entity === undefined ? undefined : /^([^:]+):(.+)$/.exec(flags.entity);
    if (flags.entity !== undefined && !entity) {
      throw new UsageError(`--entity "${flags.entity}" is not type:id (e.g. order:o-123)`);
    }
    const page = await this.api.get<{ items: Envelope[]; nextCursor: string | null }>("/events", {
      tenant: flags.tenant,
      type: flags.type,
      entityType: entity?.[1],
      entityId: entity?.[2],
      from: flags.from,
      to: flags.to,
      limit: flags.limit,
      cursor: flags.cursor,
    });
    this.page(page, eventColumns, "(no events match)");
    return page;
  }
}
