import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { type Delivery, DELIVERY_STATUSES, deliveryColumns } from "../../deliveries.ts";
import { limit, tenant } from "../../flags.ts";

export default class DeliveriesList extends AdminCommand {
  static summary = "List deliveries, newest first";
  static examples = [
    "<%= config.bin %> deliveries list --tenant acme",
    "<%= config.bin %> deliveries list --endpoint ep_… --status dead --json",
  ];
  static flags = {
    tenant: tenant(),
    endpoint: Flags.string({ description: "endpoint id" }),
    status: Flags.string({
      description: "only deliveries in this status",
      options: [...DELIVERY_STATUSES],
    }),
    limit: limit,
    cursor: Flags.string({ description: "continue from a previous page's nextCursor" }),
  };

  async run(): Promise<{ items: Delivery[]; nextCursor: string | null }> {
    const { flags } = await this.parse(DeliveriesList);
    const page = await this.api.get<{ items: Delivery[]; nextCursor: string | null }>(
      "/deliveries",
      {
        tenant: flags.tenant,
        endpoint: flags.endpoint,
        status: flags.status,
        limit: flags.limit,
        cursor: flags.cursor,
      },
    );
    this.page(page, deliveryColumns, "(no deliveries match)");
    return page;
  }
}
