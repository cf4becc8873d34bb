import { AdminCommand } from "../../base.ts";
import { idArg } from "../../flags.ts";
import type { Delivery } from "../../deliveries.ts";
import { autoColumns } from "../../table.ts";

export default class DeliveriesShow extends AdminCommand {
  static summary = "Show one delivery with its attempts";
  static examples = [
    "<%= config.bin %> deliveries show dlv_…",
    "<%= config.bin %> deliveries show dlv_… --json | jq .attempts",
  ];
  static args = { id: idArg({ description: "delivery id", required: true }) };

  async run(): Promise<Delivery> {
    const { args } = await this.parse(DeliveriesShow);
    const delivery = await this.api.get<Delivery>(`/deliveries/${encodeURIComponent(args.id)}`);
    const { attempts, ...rest } = delivery;
    this.record(rest);
    this.log("\nAttempts");
    this.table(attempts ?? [], autoColumns(attempts ?? []), "(none yet)");
    return delivery;
  }
}
