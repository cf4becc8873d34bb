import { AdminCommand } from "../../base.ts";
import { idArg } from "../../flags.ts";
import type { ApiKey } from "../../tenants.ts";

export default class KeysRevoke extends AdminCommand {
  static summary = "Revoke an API key: requests with it get 401 from then on";
  static examples = ["<%= config.bin %> keys revoke 3f0c…"];
  static args = { id: idArg({ description: "key id (from keys list)", required: true }) };

  async run(): Promise<ApiKey> {
    const { args } = await this.parse(KeysRevoke);
    const key = await this.api.post<ApiKey>(`/keys/${encodeURIComponent(args.id)}/revoke`);
    this.record({ ...key });
    return key;
  }
}
