/**
 * SQL tests: each `tests/sql/*.sql` runs in a database of its own, cloned from the migrated
 * template, with ON_ERROR_STOP; a failed `assert` or error fails the file. Prints TAP.
 */
import { run } from "../../local/process.ts";

const dir = new URL(".", import.meta.url).pathname;
const admin = Deno.env.get("SWITCHYARD_TEST_PG_URL");
const template = Deno.env.get("SWITCHYARD_TEST_TEMPLATE");
if (!admin || !template) throw new Error("run through `npm test` (tests/run.ts)");

const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".sql"))
  .sort();
console.log(`1..${files.length}`);
let failures = 0;
for (const [i, file] of files.entries()) {
  const db = `sql_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await run("psql", [admin, "-qc", `create database ${db} template ${template}`]);
  try {
    await run("psql", [
      admin.replace(/\/postgres$/, `/${db}`),
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-f",
      `${dir}${file}`,
    ]);
    console.log(`ok ${i + 1} - ${file}`);
  } catch (err) {
    failures++;
    console.log(`not ok ${i + 1} - ${file}\n  ${(err as Error).message.replaceAll("\n", "\n  ")}`);
  } finally {
    await run("psql", [admin, "-qc", `drop database ${db} with (force)`]);
  }
}
Deno.exit(failures ? 1 : 0);
