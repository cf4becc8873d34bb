// Compiles src/commands, with @oclif/core and every other dependency, into one ES module
// (dist/commands.js) with esbuild, on first use and whenever a source it was built from changed, so
// there is no build step to forget or go stale. One file parses faster than oclif's ~150 CommonJS
// modules are found and loaded, and run.js takes oclif's `execute` from the same bundle, so the
// commands and the runner share one copy of its classes.
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const dist = join(root, "dist");
const target = join(dist, "commands.js");
const inputsFile = join(dist, "inputs.json");

/** Command ids (`tenants:create`) with their source files, as oclif's pattern strategy finds them. */
function commandFiles() {
  const base = join(root, "src", "commands");
  const found = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (
        e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts")
      ) {
        found.push({ id: relative(base, p).slice(0, -3).split("/").join(":"), file: p });
      }
    }
  };
  walk(base);
  return found.sort((a, b) => a.id.localeCompare(b.id));
}

/** True when dist/commands.js exists and no source it was built from (or a new command) is newer. */
export function isFresh() {
  let built;
  try {
    built = JSON.parse(readFileSync(inputsFile, "utf8"));
  } catch {
    return false;
  }
  const ids = commandFiles().map((c) => c.id).join(",");
  if (built.ids !== ids) return false;
  return built.inputs.every((f) => {
    try {
      return statSync(join(root, f)).mtimeMs <= built.at;
    } catch {
      return false;
    }
  });
}

/**
 * Builds dist/commands.js (exporting COMMANDS for oclif's explicit strategy, and oclif's
 * `execute`); throws on failure.
 */
export async function build() {
  const { build: esbuild } = await import("esbuild");
  const commands = commandFiles();
  const entry = commands.map((c, i) => `import C${i} from ${JSON.stringify(c.file)};`).join("\n") +
    `\nexport const COMMANDS = {${
      commands.map((c, i) => `${JSON.stringify(c.id)}: C${i}`).join(", ")
    }};\nexport { execute } from "@oclif/core";\n`;
  const at = Date.now();
  const result = await esbuild({
    stdin: { contents: entry, resolveDir: root, sourcefile: "commands-entry.js", loader: "js" },
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // oclif reaches for TypeScript only to run commands from .ts sources, which the bundle never does.
    external: ["typescript", "ts-node", "tsx", "esbuild"],
    // The CommonJS inside (oclif) requires Node's built-ins, which an ES module does by createRequire.
    banner: {
      js:
        'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    // The metafile's input paths are relative to this; isFresh resolves them against root.
    absWorkingDir: root,
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  mkdirSync(dist, { recursive: true });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => f !== "commands-entry.js")
    .map((f) => relative(root, resolve(root, f)));
  // Written aside and renamed, so a CLI started meanwhile never loads half a file.
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, result.outputFiles[0].contents);
  renameSync(tmp, target);
  const ids = commands.map((c) => c.id).join(",");
  writeFileSync(`${inputsFile}.${process.pid}.tmp`, JSON.stringify({ at, ids, inputs }));
  renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
  return target;
}

if (process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  await build();
}
