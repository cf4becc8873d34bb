import { AdminCommand } from "../../base.ts";
import { type Endpoint, endpointColumns } from "../../endpoints.ts";
import { tenant } from "../../flags.ts";

export default class EndpointsList extends AdminCommand {
  static summary = "List endpoints, of one tenant or all";
  static examples = [
    "<%= config.bin %> endpoints list",
    "<%= config.bin %> endpoints list --tenant acme --json",
  ];
  static flags = { tenant: tenant() };

  async run(): Promise<{ items: Endpoint[] }> {
    const { flags } = await this.parse(EndpointsList);
    const page = await this.api.get<{ items: Endpoint[] }>("/endpoints", { tenant: flags.tenant });
    this.table(page.items, endpointColumns);
    return page;
  }
}
