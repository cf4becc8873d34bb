import { AdminCommand } from "../../base.ts";
import { idArg } from "../../flags.ts";
import { type Endpoint, withoutSecret } from "../../endpoints.ts";

export default class EndpointsEnable extends AdminCommand {
  static summary = "Enable a disabled endpoint";
  static examples = ["<%= config.bin %> endpoints enable ep_…"];
  static args = { id: idArg({ description: "endpoint id", required: true }) };

  async run(): Promise<Record<string, unknown>> {
    const { args } = await this.parse(EndpointsEnable);
    const endpoint = withoutSecret(
      await this.api.post<Endpoint>(`/endpoints/${encodeURIComponent(args.id)}/enable`),
    );
    this.record(endpoint);
    return endpoint;
  }
}
