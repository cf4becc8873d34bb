/** Configuration: read once at start-up from the environment, validated by one schema. */
import { z } from "zod";

const flag = z.enum(["0", "1", "true", "false"]).default("0").transform((v) =>
  v === "1" || v === "true"
);
const postgresUrl = z.string().refine(
  (v) => /^postgres(ql)?:\/\/[^\s]+$/.test(v) && URL.canParse(v),
  {
    message: "must be a postgres:// or postgresql:// URL",
  },
);
const httpUrl = z.string().refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), {
  message: "must be an http:// or https:// URL",
});
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const configSchema = z.object({
  DATABASE_URL: postgresUrl,
  SUPABASE_URL: httpUrl.default("http://127.0.0.1:54321"),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(16, "must be at least 16 characters"),
  UPSTASH_REDIS_REST_URL: httpUrl.optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  SWITCHYARD_PORT: z.coerce.number().int().min(1).max(65535).default(54321),
  SWITCHYARD_ALLOW_PRIVATE_TARGETS: flag,
  /** 32 bytes, base64: encrypts endpoint credentials at rest. */
  SWITCHYARD_ENCRYPTION_KEY: z.string().refine((v) => {
    try {
      return atob(v).length === 32;
    } catch {
      return false;
    }
  }, { message: "must be 32 bytes, base64-encoded" }).optional(),
  /** Signs pagination cursors. Default: a key derived from SUPABASE_SERVICE_ROLE_KEY. */
  SWITCHYARD_CURSOR_KEY: z.string().min(16, "must be at least 16 characters").optional(),
  RETENTION_DAYS: positiveInt(30),
  /** Accepted events per second per tenant, and requests per second per client address. */
  INGEST_TENANT_RATE: positiveInt(50_000),
  INGEST_IP_RATE: positiveInt(2_000),
  /** Take the client address from X-Forwarded-For's first hop: only behind a proxy that sets it. */
  SWITCHYARD_TRUST_FORWARDED_FOR: flag,
  DB_POOL_SIZE: positiveInt(10),
  /** Sends in flight at once per endpoint (all function instances together) unless the endpoint sets `maxInFlight`. */
  DELIVERY_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(1000).default(32),
  /** A claim's lease is the endpoint's timeout plus this; a dead instance's claims come back when it ends. */
  DELIVERY_LEASE_MARGIN_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /** DATABASE_URL is a transaction-mode pooler (pgbouncer, Supavisor's port 6543): no prepared statements. */
  DB_TRANSACTION_POOLER: flag,
  /** With DB_TRANSACTION_POOLER: the direct connection for LISTEN (a pooled session cannot keep one). */
  DATABASE_DIRECT_URL: postgresUrl.optional(),
  /** Functions processes `npm start` runs on the one port (0: one per core). */
  SWITCHYARD_FUNCTION_INSTANCES: z.coerce.number().int().min(0).max(64).default(0),
  /** `pgbouncer`: `npm start` puts a transaction-mode pgbouncer between the functions and Postgres. */
  SWITCHYARD_POOLER: z.enum(["none", "pgbouncer"]).default("none"),
  /** Set by `npm start`: the file where it records the processes it supervises and their restarts. */
  SWITCHYARD_SUPERVISOR_STATE: z.string().min(1).optional(),
  /** Health and alerts call the relay or deliveries stalled after this long without progress while work waits. */
  SWITCHYARD_STALL_MS: positiveInt(30_000),
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[\w-]+$/, "must look like 123456:ABC-DEF").optional(),
  TELEGRAM_API_ROOT: httpUrl.default("https://api.telegram.org"),
  TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[\w-]{1,256}$/, "must be 1-256 of A-Z a-z 0-9 _ -")
    .optional(),
  /** The relay's permanent logical replication slot (names are per cluster, so tests give each database its own). */
  RELAY_SLOT: z.string().regex(/^[a-z0-9_]{1,63}$/, "must be 1-63 of a-z 0-9 _").default(
    "switchyard_relay",
  ),
  /**
   * The relay hands over at most this many events at once: at once when no hand-over is in flight
   * (after lingering RELAY_BATCH_WAIT_MS, default 0), accumulating while one is. Each hand-over
   * has a fixed cost (a request, a routing transaction, the DTO writes' round trips): at 500 the
   * relay handed over half of what ingest accepted on the whole stack; at 2,000 it keeps up.
   */
  RELAY_BATCH_SIZE: positiveInt(2_000),
  RELAY_BATCH_WAIT_MS: z.coerce.number().int().min(0).default(0),
  /** The folder whose index.ts lists the DTO types, for the local stack and the tests (default: the repository's dtos/; deployed edge functions always import dtos/index.ts). */
  SWITCHYARD_DTO_DIR: z.string().min(1).optional(),

  /** Where portal links point. Default: {SUPABASE_URL}/functions/v1/admin/portal. */
  SWITCHYARD_PORTAL_URL: httpUrl.optional(),
  /** Origins that may frame the portal (CSP frame-ancestors), space- or comma-separated. Default: none. */
  SWITCHYARD_PORTAL_FRAME_ANCESTORS: z.string().default("").transform((v) =>
    v.split(/[\s,]+/).filter(Boolean)
  ).pipe(
    z.array(
      z.string().regex(
        /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/,
        "must be origins such as https://app.example.com",
      ),
    ),
  ),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
}).refine((c) => !c?.UPSTASH_REDIS_REST_URL || c.UPSTASH_REDIS_REST_TOKEN, {
  message: "is required when UPSTASH_REDIS_REST_URL is set",
  path: ["UPSTASH_REDIS_REST_TOKEN"],
  // Report it together with any other problem, not only once the rest is valid.
  when: () => true,
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment; empty strings count as unset. Throws ConfigError naming each variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = configSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((i) => `${i.path.join(".")} ${readable(i.message)}`),
  );
}

function readable(message: string): string {
  if (message === "Invalid input: expected string, received undefined") return "is required";
  if (message.startsWith("Invalid input: expected number")) return "must be a number";
  return message;
}

/** For long-running entry points: the configuration, or a message naming each bad variable and exit 1. */
export function loadConfigOrExit(
  program: string,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${program}: ${err.message}`);
    Deno.exit(1);
  }
}
