/** The context a benchmark runs Switchyard with: its throw-away database, loopback targets allowed, quiet logs. */
import { loadConfig } from "../../functions/_shared/config.ts";
import { type AppContext, createContext } from "../../functions/_shared/context.ts";
import { createLogger } from "../../functions/_shared/log.ts";

export function benchContext(databaseUrl: string, env: Record<string, string> = {}): AppContext {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    SUPABASE_SERVICE_ROLE_KEY: "bench-service-key-0123456789",
    SWITCHYARD_ALLOW_PRIVATE_TARGETS: "1",
    SWITCHYARD_ENCRYPTION_KEY: btoa("b".repeat(32)),
    LOG_LEVEL: "error",
    DB_POOL_SIZE: "20",
    ...env,
  });
  return createContext(config, { log: createLogger("bench", { level: "error" }) });
}
