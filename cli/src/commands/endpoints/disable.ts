import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { idArg } from "../../flags.ts";
import { type Endpoint, withoutSecret } from "../../endpoints.ts";

export default class EndpointsDisable extends AdminCommand {
  static summary = "Disable an endpoint: nothing is sent to it until it is enabled again";
  static examples = [
    "<%= config.bin %> endpoints disable ep_… --reason 'receiver down for maintenance'",
  ];
  static args = { id: idArg({ description: "endpoint id", required: true }) };
  static flags = { reason: Flags.string({ description: "why, shown in endpoints list" }) };

  async run(): Promise<Record<string, unknown>> {
    const { args, flags } = await this.parse(EndpointsDisable);
    const endpoint = withoutSecret(
      await this.api.post<Endpoint>(`/endpoints/${encodeURIComponent(args.id)}/disable`, {
        reason: flags.reason,
      }),
    );
    this.record(endpoint);
    return endpoint;
  }
}
