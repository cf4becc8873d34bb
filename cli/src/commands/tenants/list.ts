import { AdminCommand } from "../../base.ts";
import { type Tenant, tenantColumns } from "../../tenants.ts";

export default class TenantsList extends AdminCommand {
  static summary = "List tenants";
  static examples = ["<%= config.bin %> tenants list", "<%= config.bin %> tenants list --json"];

  async run(): Promise<{ items: Tenant[] }> {
    await this.parse(TenantsList);
    const page = await this.api.get<{ items: Tenant[] }>("/tenants");
    this.table(
      page.items,
      tenantColumns,
      "(no tenants yet: create one with `tenants create <slug>`)",
    );
    return page;
  }
}
