import { AdminCommand } from "../../base.ts";
import { idArg } from "../../flags.ts";
import { type Endpoint, withoutSecret } from "../../endpoints.ts";

export default class EndpointsShow extends AdminCommand {
  static summary = "Show one endpoint (never its secret)";
  static examples = ["<%= config.bin %> endpoints show ep_…"];
  static args = { id: idArg({ description: "endpoint id", required: true }) };

  async run(): Promise<Record<string, unknown>> {
    const { args } = await this.parse(EndpointsShow);
    const endpoint = withoutSecret(
      await this.api.get<Endpoint>(`/endpoints/${encodeURIComponent(args.id)}`),
    );
    this.record(endpoint);
    return endpoint;
  }
}
