import { Args, Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { UsageError } from "../../errors.ts";
import { tenant } from "../../flags.ts";

export default class DlqReplay extends AdminCommand {
  static summary =
    "Send dead letters again: the given ids, or --all (optionally of one tenant or endpoint)";
  static strict = false;
  static examples = [
    "<%= config.bin %> dlq replay dlv_1 dlv_2",
    "<%= config.bin %> dlq replay --all --tenant acme",
    "<%= config.bin %> dlq replay --all --endpoint ep_…",
  ];
  static args = {
    ids: Args.string({ description: "dead-letter ids or their delivery ids (from dlq list)" }),
  };
  static flags = {
    all: Flags.boolean({
      description: "every open dead letter (of --tenant or --endpoint when given)",
    }),
    tenant: tenant({ dependsOn: ["all"] }),
    endpoint: Flags.string({ description: "endpoint id", dependsOn: ["all"] }),
  };

  async run(): Promise<{ replayed: number }> {
    const { argv, flags } = await this.parse(DlqReplay);
    const ids = argv as string[];
    if (flags.all && ids.length) throw new UsageError("give dead-letter ids or --all, not both");
    if (!flags.all && !ids.length) {
      throw new UsageError("give the dead-letter ids to replay, or --all");
    }
    const body = flags.all
      ? { all: true as const, tenant: flags.tenant, endpoint: flags.endpoint }
      : { ids };
    const result = await this.api.post<{ replayed: number }>("/dlq/replay", body);
    this.log(`replayed ${result.replayed} dead letter${result.replayed === 1 ? "" : "s"}`);
    return result;
  }
}
