import { AdminCommand } from "../../base.ts";
import { idArg } from "../../flags.ts";
import { UserError } from "../../errors.ts";

interface TestResult {
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error?: string;
}

export default class EndpointsTest extends AdminCommand {
  static summary = "Send a signed test request to an endpoint and report the answer";
  static description = "Exits 1 when the endpoint does not answer 2xx in time.";
  static examples = ["<%= config.bin %> endpoints test ep_…"];
  static args = { id: idArg({ description: "endpoint id", required: true }) };

  async run(): Promise<TestResult> {
    const { args } = await this.parse(EndpointsTest);
    const result = await this.api.post<TestResult>(
      `/endpoints/${encodeURIComponent(args.id)}/test`,
    );
    const answer = `${
      result.status ? `HTTP ${result.status}` : "no answer"
    } in ${result.latencyMs} ms`;
    if (!result.ok) {
      throw new UserError(
        `endpoint ${args.id} failed the test: ${answer}${result.error ? ` (${result.error})` : ""}`,
        "endpoint_test_failed",
      );
    }
    this.log(`ok: ${answer}`);
    return result;
  }
}
