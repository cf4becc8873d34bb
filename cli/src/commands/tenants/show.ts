import { AdminCommand } from "../../base.ts";
import { tenantArg } from "../../flags.ts";
import type { Tenant } from "../../tenants.ts";

export default class TenantsShow extends AdminCommand {
  static summary = "Show one tenant";
  static examples = ["<%= config.bin %> tenants show acme"];
  static args = { slug: tenantArg({ required: true }) };

  async run(): Promise<Tenant> {
    const { args } = await this.parse(TenantsShow);
    const tenant = await this.api.get<Tenant>(`/tenants/${args.slug}`);
    this.record({ ...tenant });
    return tenant;
  }
}
