#!/usr/bin/env node
// Starts like a CLI: `--version` answers without loading anything, commands run from one bundle
// (bin/build.js, rebuilt when a source changed); without esbuild or a writable dist/ it falls
// back to compiling the TypeScript on load with tsx.
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const pjsonUrl = new URL("../package.json", import.meta.url);
const pjson = JSON.parse(readFileSync(pjsonUrl, "utf8"));
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  // oclif's own format (its config.userAgent).
  console.log(
    `${pjson.oclif.bin}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}`,
  );
  process.exit(0);
}

const root = new URL("..", import.meta.url).pathname;
let commands;
try {
  const { build, isFresh } = await import("./build.js");
  commands = isFresh() ? new URL("../dist/commands.js", import.meta.url).pathname : await build();
} catch {
  commands = undefined;
}
// The bundle carries oclif itself: its `execute` is the one whose classes the commands extend.
const { execute } = await import(commands ?? "@oclif/core");
if (!commands) {
  const { register } = await import("tsx/esm/api");
  register();
}
const loadOptions = commands
  ? {
    root,
    pjson: {
      ...pjson,
      oclif: {
        ...pjson.oclif,
        commands: { strategy: "explicit", target: "./dist/commands.js", identifier: "COMMANDS" },
      },
    },
  }
  : root;
await execute({ args, loadOptions });
// Node's fetch keeps idle keep-alive sockets open for seconds after the last answer, and the
// process would wait for them: once what was written is flushed, exit.
await new Promise((resolve) => process.stdout.write("", resolve));
await new Promise((resolve) => process.stderr.write("", resolve));
process.exit();
