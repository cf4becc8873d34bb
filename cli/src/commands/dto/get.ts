import { Args } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { dtoType, tenant } from "../../flags.ts";

interface Dto {
  type: string;
  key: string;
  version: number;
  updatedAt: string;
  data: unknown;
}

export default class DtoGet extends AdminCommand {
  static summary = "Read one DTO";
  static examples = [
    "<%= config.bin %> dto get CustomerPosition c-42 --tenant acme",
    "<%= config.bin %> dto get CustomerPosition c-42 --tenant acme --json | jq .data",
  ];
  static args = {
    type: Args.string({
      description: "DTO type, e.g. CustomerPosition",
      required: true,
      parse: async (v) => dtoType(v),
    }),
    key: Args.string({ description: "DTO key", required: true }),
  };
  static flags = { tenant: tenant({ required: true }) };

  async run(): Promise<Dto> {
    const { args, flags } = await this.parse(DtoGet);
    const dto = await this.api.get<Dto>(
      `/dto/${encodeURIComponent(args.type)}/${encodeURIComponent(args.key)}`,
      { tenant: flags.tenant },
    );
    this.record({ type: dto.type, key: dto.key, version: dto.version, updatedAt: dto.updatedAt });
    this.log(JSON.stringify(dto.data, null, 2));
    return dto;
  }
}
