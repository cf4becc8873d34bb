import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { tenantArg } from "../../flags.ts";
import type { Tenant } from "../../tenants.ts";

export default class TenantsCreate extends AdminCommand {
  static summary = "Create a tenant";
  static examples = [
    "<%= config.bin %> tenants create acme --name 'Acme Corp'",
    "<%= config.bin %> tenants create acme --json",
  ];
  static args = {
    slug: tenantArg({ description: "tenant slug: 2-63 of a-z, 0-9 and -", required: true }),
  };
  static flags = { name: Flags.string({ description: "display name (defaults to the slug)" }) };

  async run(): Promise<Tenant> {
    const { args, flags } = await this.parse(TenantsCreate);
    const tenant = await this.api.post<Tenant>("/tenants", { slug: args.slug, name: flags.name });
    this.record({ ...tenant });
    this.note(`\nNext: ${this.config.bin} keys create --tenant ${tenant.slug}`);
    return tenant;
  }
}
