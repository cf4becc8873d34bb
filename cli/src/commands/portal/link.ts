import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { UsageError } from "../../errors.ts";
import { duration, tenant } from "../../flags.ts";
import type { PortalLink } from "../../portal.ts";

const MIN_S = 60;
const MAX_S = 30 * 86_400;

export default class PortalLinkCommand extends AdminCommand {
  static summary = "Print a signed, expiring portal URL for one tenant's team";
  static description =
    "Whoever opens the URL sees and manages that tenant's endpoints, events, timelines and dead letters, nothing else. The token is in the URL's fragment: the page swaps it for a short-lived session and removes it from the address bar. Revoke the link with `portal revoke <id>`.";
  static examples = [
    "<%= config.bin %> portal link --tenant acme",
    "<%= config.bin %> portal link --tenant acme --expires 7d --read-only --note 'ERP team'",
    "<%= config.bin %> portal link --tenant acme --json | jq -r .url",
  ];
  static flags = {
    tenant: tenant({ required: true }),
    expires: duration({ description: "how long the link works, 1m to 30d (default 1h)" }),
    "read-only": Flags.boolean({ description: "the portal may look, not change anything" }),
    note: Flags.string({ description: "who it is for, shown in portal list" }),
  };

  async run(): Promise<PortalLink & { url: string }> {
    const { flags } = await this.parse(PortalLinkCommand);
    const seconds = flags.expires === undefined ? undefined : Math.round(flags.expires / 1000);
    if (seconds !== undefined && (seconds < MIN_S || seconds > MAX_S)) {
      throw new UsageError(`--expires must be between 1m and 30d`);
    }
    const link = await this.api.post<PortalLink & { url: string }>("/portal/links", {
      tenant: flags.tenant,
      expiresInSeconds: seconds,
      readOnly: flags["read-only"] || undefined,
      note: flags.note,
    });
    this.log(link.url);
    this.note(
      `\n${link.readOnly ? "read-only" : "full access"} to ${link.tenant} until ${link.expiresAt}` +
        ` · revoke with: ${this.config.bin} portal revoke ${link.id}`,
    );
    return link;
  }
}
