import { AdminCommand } from "../../base.ts";
import { tenant } from "../../flags.ts";
import { linkColumns, type PortalLink } from "../../portal.ts";

export default class PortalList extends AdminCommand {
  static summary = "List a tenant's portal links (never their tokens)";
  static examples = ["<%= config.bin %> portal list --tenant acme"];
  static flags = { tenant: tenant({ required: true }) };

  async run(): Promise<{ items: PortalLink[] }> {
    const { flags } = await this.parse(PortalList);
    const page = await this.api.get<{ items: PortalLink[] }>("/portal/links", {
      tenant: flags.tenant,
    });
    this.table(page.items, linkColumns, `no portal links for ${flags.tenant}`);
    return page;
  }
}
