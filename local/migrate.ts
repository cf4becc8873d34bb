/** Applies `migrations/` with the real Supabase CLI, exactly as a hosted project gets them. */
import { run } from "./process.ts";

const repoRoot = new URL("..", import.meta.url).pathname;

export async function migrate(databaseUrl: string): Promise<string> {
  const cli = `${repoRoot}node_modules/.bin/supabase`;
  return await run(cli, ["db", "push", "--db-url", databaseUrl, "--yes", "--workdir", repoRoot], {
    cwd: repoRoot,
    env: { ...Deno.env.toObject(), SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
  });
}
