import { AdminCommand } from "../../base.ts";
import { tenant } from "../../flags.ts";

interface LinkCode {
  code: string;
  expiresAt: string;
}

export default class TelegramLink extends AdminCommand {
  static summary = "Create a one-time code that links a Telegram chat to a tenant";
  static description =
    "Send `/start <code>` to the bot from the chat to link it before the code expires.";
  static examples = [
    "<%= config.bin %> telegram link --tenant acme",
    "<%= config.bin %> telegram link --tenant acme --json | jq -r .code",
  ];
  static flags = { tenant: tenant({ required: true }) };

  async run(): Promise<LinkCode> {
    const { flags } = await this.parse(TelegramLink);
    const link = await this.api.post<LinkCode>("/telegram/link", { tenant: flags.tenant });
    this.log(
      `Send this to the bot from the chat to link it to ${flags.tenant}:\n\n  /start ${link.code}\n\nThe code works once, until ${link.expiresAt}.`,
    );
    return link;
  }
}
