/** Where the admin API is and which key opens it: the environment, else `.switchyard/env` up from the cwd. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "./errors.ts";

export interface CliConfig {
  supabaseUrl: string;
  serviceKey: string;
}

/** KEY=value lines, as local/envfile.ts writes them. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

export function findEnvFile(from: string): string | undefined {
  for (let dir = from;; dir = dirname(dir)) {
    const candidate = join(dir, ".switchyard", "env");
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CliConfig {
  let supabaseUrl = env.SUPABASE_URL;
  let serviceKey = env.SUPABASE_SERVICE_ROLE_KEY;
  if (!supabaseUrl || !serviceKey) {
    const file = findEnvFile(cwd);
    const values = file ? parseEnvFile(readFileSync(file, "utf8")) : {};
    supabaseUrl ||= values.SUPABASE_URL;
    serviceKey ||= values.SUPABASE_SERVICE_ROLE_KEY;
  }
  const missing = [!supabaseUrl && "SUPABASE_URL", !serviceKey && "SUPABASE_SERVICE_ROLE_KEY"]
    .filter(Boolean);
  if (missing.length) {
    throw new UserError(
      `${missing.join(" and ")} not set: export ${
        missing.length > 1 ? "them" : "it"
      }, or run \`npm start\` (it writes .switchyard/env)`,
      "not_configured",
    );
  }
  try {
    new URL(supabaseUrl!);
  } catch {
    throw new UserError(`SUPABASE_URL is not a URL: ${supabaseUrl}`, "not_configured");
  }
  return { supabaseUrl: supabaseUrl!.replace(/\/+$/, ""), serviceKey: serviceKey! };
}
