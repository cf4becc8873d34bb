import { AdminCommand } from "../../base.ts";
import { tenant } from "../../flags.ts";
import { autoColumns } from "../../table.ts";

export default class TelegramChats extends AdminCommand {
  static summary = "List the Telegram chats linked to a tenant";
  static examples = ["<%= config.bin %> telegram chats --tenant acme"];
  static flags = { tenant: tenant({ required: true }) };

  async run(): Promise<{ items: Record<string, unknown>[] }> {
    const { flags } = await this.parse(TelegramChats);
    const page = await this.api.get<{ items: Record<string, unknown>[] }>("/telegram/chats", {
      tenant: flags.tenant,
    });
    this.table(
      page.items,
      autoColumns(page.items),
      `(no linked chats: run \`${this.config.bin} telegram link --tenant ${flags.tenant}\`)`,
    );
    return page;
  }
}
