import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { idArg } from "../../flags.ts";

interface Deleted {
  id: string;
  tenant: string;
  deletedAt: string;
  cancelledDeliveries: number;
  closedDeadLetters: number;
}

export default class EndpointsDelete extends AdminCommand {
  static summary = "Delete an endpoint; its pending deliveries are cancelled";
  static description =
    "Nothing is sent to it from then on. Its pending deliveries become `cancelled` (deliveries list --status cancelled, and each entity's timeline, say why) and its open dead letters leave the queue; its delivery history stays.";
  static examples = ["<%= config.bin %> endpoints delete ep_… --reason 'moved to the new ERP'"];
  static args = { id: idArg({ description: "endpoint id", required: true }) };
  static flags = {
    reason: Flags.string({ description: "why, recorded on each cancelled delivery" }),
  };

  async run(): Promise<Deleted> {
    const { args, flags } = await this.parse(EndpointsDelete);
    const deleted = await this.api.request<Deleted>(
      "DELETE",
      `/endpoints/${encodeURIComponent(args.id)}`,
      { body: flags.reason ? { reason: flags.reason } : undefined },
    );
    const n = deleted.cancelledDeliveries;
    this.log(
      `Deleted ${deleted.id} (${deleted.tenant}): ${n} pending deliver${
        n === 1 ? "y" : "ies"
      } cancelled, ${deleted.closedDeadLetters} dead letter${
        deleted.closedDeadLetters === 1 ? "" : "s"
      } closed.`,
    );
    return deleted;
  }
}
