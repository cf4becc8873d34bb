import { AdminCommand } from "../../base.ts";
import { idArg } from "../../flags.ts";
import type { PortalLink } from "../../portal.ts";

export default class PortalRevoke extends AdminCommand {
  static summary = "Revoke a portal link: it and every page opened with it stop working at once";
  static examples = ["<%= config.bin %> portal revoke pl_…"];
  static args = {
    id: idArg({ description: "link id (from portal link or portal list)", required: true }),
  };

  async run(): Promise<PortalLink> {
    const { args } = await this.parse(PortalRevoke);
    const link = await this.api.post<PortalLink>(
      `/portal/links/${encodeURIComponent(args.id)}/revoke`,
    );
    this.record({ ...link });
    return link;
  }
}
