import { AdminCommand } from "../../base.ts";
import { tenant } from "../../flags.ts";
import { type ApiKey, keyColumns } from "../../tenants.ts";

export default class KeysList extends AdminCommand {
  static summary = "List a tenant's API keys (prefixes only: keys are stored hashed)";
  static examples = ["<%= config.bin %> keys list --tenant acme"];
  static flags = { tenant: tenant({ required: true }) };

  async run(): Promise<{ items: ApiKey[] }> {
    const { flags } = await this.parse(KeysList);
    const page = await this.api.get<{ items: ApiKey[] }>("/keys", { tenant: flags.tenant });
    this.table(page.items, keyColumns);
    return page;
  }
}
