import { AdminCommand } from "../../base.ts";
import { duration, idArg } from "../../flags.ts";

interface Rotated {
  id: string;
  secret: string;
  previousValidUntil: string | null;
}

export default class EndpointsRotateSecret extends AdminCommand {
  static summary = "Give an endpoint a new signing secret; prints it once";
  static description =
    "While the overlap lasts, requests carry signatures with both the old and the new secret, so the receiver can switch without dropping any.";
  static examples = [
    "<%= config.bin %> endpoints rotate-secret ep_…",
    "<%= config.bin %> endpoints rotate-secret ep_… --overlap 24h --json | jq -r .secret",
  ];
  static args = { id: idArg({ description: "endpoint id", required: true }) };
  static flags = {
    overlap: duration({
      description: "how long the old secret stays valid, e.g. 24h (server default when omitted)",
    }),
  };

  async run(): Promise<Rotated> {
    const { args, flags } = await this.parse(EndpointsRotateSecret);
    const body = flags.overlap === undefined
      ? {}
      : { overlapSeconds: Math.round(flags.overlap / 1000) };
    const rotated = await this.api.post<Rotated>(
      `/endpoints/${encodeURIComponent(args.id)}/rotate-secret`,
      body,
    );
    this.log(
      `New signing secret for ${rotated.id} (shown once, store it now):\n\n  ${rotated.secret}\n`,
    );
    this.log(
      rotated.previousValidUntil
        ? `The previous secret stays valid until ${rotated.previousValidUntil}.`
        : "The previous secret is no longer valid.",
    );
    return rotated;
  }
}
