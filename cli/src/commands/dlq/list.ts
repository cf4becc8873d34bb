import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { type DeadLetter, deadLetterColumns } from "../../deliveries.ts";
import { limit, tenant } from "../../flags.ts";

export default class DlqList extends AdminCommand {
  static summary = "List dead letters: deliveries that used up their retries";
  static examples = [
    "<%= config.bin %> dlq list",
    "<%= config.bin %> dlq list --tenant acme --json",
  ];
  static flags = {
    tenant: tenant(),
    endpoint: Flags.string({ description: "endpoint id" }),
    limit: limit,
  };

  async run(): Promise<{ items: DeadLetter[] }> {
    const { flags } = await this.parse(DlqList);
    const page = await this.api.get<{ items: DeadLetter[] }>("/dlq", {
      tenant: flags.tenant,
      endpoint: flags.endpoint,
      limit: flags.limit,
    });
    this.table(page.items, deadLetterColumns, "(no dead letters)");
    return page;
  }
}
