/**
 * This deployment's DTO types: one file per type in this folder, each default-exporting
 * `defineDto({...})`, listed here. The deployed edge functions import this list; the local stack
 * and the tests load it from SWITCHYARD_DTO_DIR (default: this folder). A fresh deployment has
 * none; examples/bank/dtos/ shows two. Recipe: README, "Your own DTOs".
 */
import type { AnyDtoDefinition } from "../functions/_shared/dtos/types.ts";

const dtos: AnyDtoDefinition[] = [];
export default dtos;
