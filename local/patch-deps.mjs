/**
 * `npm install` runs this (the root package's postinstall): fixes in installed dependencies that
 * their releases do not carry yet. Each patch is an exact text replacement, applied once (a marker
 * says it is in), and skipped with a warning when the text it expects is not there (a release that
 * changed or fixed that code): tests/postgres-driver.test.ts then tells whether the fix is needed.
 *
 * postgres.js 3.4.9, `nextWrite` on a closed connection (porsager/postgres#1154, #1208; the fix
 * proposed in #1209 is not released). A write under 1 KiB is sent from a setImmediate; when the
 * socket has closed by then, `socket.write` throws from the immediate, past every caller, and the
 * process dies (`Cannot read properties of null (reading 'write')`): a functions process or the
 * relay crashed when Postgres restarted. The patch rejects the queries of that write with
 * CONNECTION_CLOSED, as a close does, and both teardown paths drop the buffered bytes and the timer,
 * so a reconnected socket never receives the dead session's half-written messages.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const marker = "/* switchyard: nextWrite guard */";

const postgresPatch = [
  [
    `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`,
    `  function nextWrite(fn) {
    ${marker}
    if (!socket) {
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`,
  ],
  [
    `      error(Errors.connection('CONNECTION_DESTROYED', options))

    clearImmediate(nextWriteTimer)`,
    `      error(Errors.connection('CONNECTION_DESTROYED', options))

    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null`,
  ],
  [
    `    incomings = null
    clearImmediate(nextWriteTimer)`,
    `    incomings = null
    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null`,
  ],
];

const files = ["src", "cjs/src", "cf/src"].map((d) =>
  join(root, "node_modules/postgres", d, "connection.js")
);
for (const file of files) {
  if (!existsSync(file)) continue;
  const text = readFileSync(file, "utf8");
  if (text.includes(marker)) continue;
  if (!postgresPatch.every(([from]) => text.split(from).length === 2)) {
    console.warn(`switchyard: ${file} is not the postgres.js this patch knows; left as it is`);
    continue;
  }
  writeFileSync(file, postgresPatch.reduce((t, [from, to]) => t.replace(from, to), text));
}
