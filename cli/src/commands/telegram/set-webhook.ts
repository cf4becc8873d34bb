import { AdminCommand } from "../../base.ts";
import { url } from "../../flags.ts";

export default class TelegramSetWebhook extends AdminCommand {
  static summary =
    "Point the Telegram bot at its webhook (the public URL of the telegram function)";
  static examples = [
    "<%= config.bin %> telegram set-webhook --url https://<project>.supabase.co/functions/v1/telegram",
  ];
  static flags = {
    url: url({ description: "public URL of /functions/v1/telegram", required: true }),
  };

  async run(): Promise<{ ok: boolean; url: string }> {
    const { flags } = await this.parse(TelegramSetWebhook);
    const result = await this.api.post<{ ok: boolean; url: string }>("/telegram/set-webhook", {
      url: flags.url,
    });
    this.log(`Telegram now sends the bot's updates to ${result.url}`);
    return result;
  }
}
