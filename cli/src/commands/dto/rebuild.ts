import { Args, Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { dtoType, tenant } from "../../flags.ts";
import { drain, sum } from "../../pages.ts";

interface RebuildPage {
  rebuilt: number;
  total: number;
  nextCursor: string | null;
  done: boolean;
}

export default class DtoRebuild extends AdminCommand {
  static summary = "Recompute DTOs from their source query: one key, or every key of the type";
  static examples = [
    "<%= config.bin %> dto rebuild CustomerPosition --tenant acme",
    "<%= config.bin %> dto rebuild CustomerPosition --key c-42 --tenant acme",
  ];
  static args = {
    type: Args.string({
      description: "DTO type, e.g. CustomerPosition",
      required: true,
      parse: async (v) => dtoType(v),
    }),
  };
  static flags = {
    tenant: tenant({ required: true }),
    key: Flags.string({ description: "only this key" }),
  };

  async run(): Promise<{ rebuilt: number; total: number; done: true }> {
    const { args, flags } = await this.parse(DtoRebuild);
    const pages = await drain(
      (cursor) =>
        this.api.post<RebuildPage>(`/dto/${encodeURIComponent(args.type)}/rebuild`, {
          tenant: flags.tenant,
          key: flags.key,
          cursor,
        }),
      (page, pages) =>
        this.note(
          `… rebuilt ${sum(pages, "rebuilt")}${page.total ? ` (${page.total} in all)` : ""}`,
        ),
    );
    const rebuilt = sum(pages, "rebuilt");
    const total = Math.max(rebuilt, ...pages.map((p) => p.total ?? 0));
    this.log(`rebuilt ${rebuilt} ${args.type} DTO${rebuilt === 1 ? "" : "s"} of ${total}`);
    return { rebuilt, total, done: true };
  }
}
