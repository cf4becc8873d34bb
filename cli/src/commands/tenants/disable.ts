import { AdminCommand } from "../../base.ts";
import { tenantArg } from "../../flags.ts";
import type { Tenant } from "../../tenants.ts";

export default class TenantsDisable extends AdminCommand {
  static summary = "Disable a tenant: its API keys are refused (403) from then on";
  static examples = ["<%= config.bin %> tenants disable acme"];
  static args = { slug: tenantArg({ required: true }) };

  async run(): Promise<Tenant> {
    const { args } = await this.parse(TenantsDisable);
    const tenant = await this.api.post<Tenant>(`/tenants/${args.slug}/disable`);
    this.record({ ...tenant });
    return tenant;
  }
}
