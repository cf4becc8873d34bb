import assert from "node:assert/strict";
import { createRegistry, loadDtoFolder } from "./registry.ts";
import type { AnyDtoDefinition } from "./types.ts";

const types = new URL("./types.ts", import.meta.url).href;
const dtoFile = (name: string) =>
  `import { defineDto } from "${types}";
export default defineDto({
  name: "${name}", entityType: "order", sources: ["order.*"],
  keysOf: (e) => [e.entity.id], reduce: (s) => s, sourceQuery: (sql) => sql\`select 1\`,
  fromSource: () => null, listKeys: async () => [], countKeys: async () => 0,
});
`;

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-dtos-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

Deno.test("a DTO folder's index.ts is the registry: every type it lists is loaded", async () => {
  const dir = await folder({
    "order-summary.ts": dtoFile("order_summary"),
    "index.ts": `import a from "./order-summary.ts";\nexport default [a];\n`,
  });
  const defs = await loadDtoFolder(dir);
  assert.deepEqual(defs.map((d) => d.name), ["order_summary"]);
});

Deno.test("a DTO file the folder's index.ts leaves out stops the start, naming the file", async () => {
  const dir = await folder({
    "order-summary.ts": dtoFile("order_summary"),
    "forgotten.ts": dtoFile("forgotten"),
    "index.ts": `import a from "./order-summary.ts";\nexport default [a];\n`,
  });
  await assert.rejects(loadDtoFolder(dir), /forgotten\.ts is not listed in .*index\.ts/);
});

Deno.test("the repository's own dtos/ folder is the default, and lists no DTO type", async () => {
  assert.deepEqual(await loadDtoFolder(), []);
});

Deno.test("two DTO types with one name, or a name that cannot be a :dtoType, are refused", () => {
  const def = (name: string) => ({ name, sources: [] }) as unknown as AnyDtoDefinition;
  assert.throws(() => createRegistry([def("a"), def("a")]), /two DTO types are named a/);
  assert.throws(() => createRegistry([def("Order-Summary")]), /must match/);
  assert.equal(createRegistry([def("order_summary")]).size, 1);
});
