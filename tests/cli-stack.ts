/**
 * A stack for the CLI tests (cli/test): the functions on a free port over a fresh database. Prints
 * one JSON line {base, serviceKey, supabaseUrl, databaseUrl, apiBase} and stays up until stdin
 * closes or SIGTERM/SIGINT. Under `npm test` the services come from tests/run.ts; run on its own
 * (`npx deno run -A tests/cli-stack.ts`) it starts throw-away ones too; with `--services-only` it
 * prints just their environment, for `npm test --workspace cli` runs while developing.
 */
import { SERVICE_KEY, startStack } from "./harness.ts";
import { startThrowaway, type Throwaway } from "../local/throwaway.ts";
import { freePort } from "../local/ports.ts";

let services: Throwaway | undefined;
if (!Deno.env.get("SWITCHYARD_TEST_PG_URL")) {
  services = await startThrowaway();
  for (const [k, v] of Object.entries(services.env)) Deno.env.set(k, v);
}
// A stand-in Bot API that accepts every call, so `telegram set-webhook` runs end to end.
const botApiPort = freePort();
const botApi = Deno.serve(
  { port: botApiPort, hostname: "127.0.0.1", onListen: () => {} },
  () => Response.json({ ok: true, result: true }),
);
if (Deno.args.includes("--services-only")) {
  console.log(JSON.stringify(services?.env ?? {}));
  for await (const _ of Deno.stdin.readable) { /* until stdin closes */ }
  await services?.stop();
  Deno.exit(0);
}
const stack = await startStack({
  // The dto commands are tried on the bank example's DTO types.
  example: "bank",
  env: {
    TELEGRAM_BOT_TOKEN: "123456:cli-test",
    TELEGRAM_WEBHOOK_SECRET: "cli-test-secret",
    TELEGRAM_API_ROOT: `http://127.0.0.1:${botApiPort}`,
  },
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await stack.close().catch((e) => console.error("cli-stack:", e.message));
  await botApi.shutdown();
  await services?.stop();
  Deno.exit(0);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, stop);

console.log(JSON.stringify({
  base: stack.base,
  apiBase: stack.base.replace(/\/functions\/v1$/, "/functions/v1/api"),
  serviceKey: SERVICE_KEY,
  supabaseUrl: stack.env.SUPABASE_URL,
  databaseUrl: stack.db.url,
}));

// The test process holds our stdin: when it goes away, so do we.
for await (const _ of Deno.stdin.readable) { /* drain */ }
await stop();
