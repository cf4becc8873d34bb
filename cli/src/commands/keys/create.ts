import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { tenant } from "../../flags.ts";
import type { ApiKey } from "../../tenants.ts";

export default class KeysCreate extends AdminCommand {
  static summary = "Create an API key for a tenant; the key is printed once, here";
  static examples = [
    "<%= config.bin %> keys create --tenant acme",
    "<%= config.bin %> keys create --tenant acme --name erp --json | jq -r .key",
  ];
  static flags = {
    tenant: tenant({ required: true }),
    name: Flags.string({ description: "what the key is for (default: default)" }),
  };

  async run(): Promise<ApiKey & { key: string }> {
    const { flags } = await this.parse(KeysCreate);
    const created = await this.api.post<ApiKey & { key: string }>("/keys", {
      tenant: flags.tenant,
      name: flags.name,
    });
    this.log(`API key for ${created.tenant} (shown once, store it now):\n\n  ${created.key}\n`);
    this.record({
      id: created.id,
      prefix: created.prefix,
      name: created.name,
      createdAt: created.createdAt,
    });
    return created;
  }
}
