/** Everything a function or worker needs, built once at start-up from the configuration. */
import type { Config } from "./config.ts";
import { createSql, databaseProbe, DB_CALL_DEADLINE_MS, type Sql } from "./db.ts";
import { randomToken } from "./secrets.ts";
import { createLogger, type Logger } from "./log.ts";
import { type Clock, systemClock } from "./clock.ts";
import { CircuitBreaker } from "./breaker.ts";
import type { FastStore } from "./store/store.ts";
import { createStore } from "./store/create.ts";
import { createRegistry, type Registry } from "./dtos/registry.ts";
import type { AnyDtoDefinition } from "./dtos/types.ts";
import { guardStore } from "./store/guard.ts";

export interface AppContext {
  config: Config;
  sql: Sql;
  store: FastStore;
  log: Logger;
  clock: Clock;
  /** The deployment's DTO types (dtos/index.ts, or SWITCHYARD_DTO_DIR's). */
  dtos: Registry;
  breakers: { db: CircuitBreaker; store: CircuitBreaker };
  /**
   * After a database deadline: whether the server answers (db.ts databaseProbe). Absent when the
   * context was given its pool (it cannot tell that pool's statements from others').
   */
  dbProbe?: () => Promise<boolean>;
  close(): Promise<void>;
}

export function createContext(
  config: Config,
  opts: {
    component?: string;
    clock?: Clock;
    sql?: Sql;
    store?: FastStore;
    log?: Logger;
    dtos?: readonly AnyDtoDefinition[];
  } = {},
): AppContext {
  const log = opts.log ?? createLogger(opts.component ?? "switchyard", { level: config.LOG_LEVEL });
  const clock = opts.clock ?? systemClock;
  const dtos = createRegistry(opts.dtos);
  // Each context's pool has a name of its own, so its probe cancels only its own lock waits.
  const application = `switchyard ${opts.component ?? "switchyard"} ${randomToken(6)}`;
  const sql = opts.sql ?? createSql(config.DATABASE_URL, {
    max: config.DB_POOL_SIZE,
    application,
    transactionPooler: config.DB_TRANSACTION_POOLER,
    listenUrl: config.DATABASE_DIRECT_URL,
  });
  const probe = opts.sql ? undefined : databaseProbe(config.DATABASE_URL, {
    application,
    transactionPooler: config.DB_TRANSACTION_POOLER,
    // As old as a request's deadline: whoever sent these statements has given up on them, unless
    // they are a batch's (DB_BATCH_DEADLINE_MS), which hears a 503 when its statement is cancelled.
    lockedMs: DB_CALL_DEADLINE_MS,
  });
  const onStateChange = (state: string, name: string) =>
    log.warn("circuit breaker changed state", { breaker: name, state });
  const breakers = {
    db: new CircuitBreaker("database", {
      failureThreshold: 3,
      openMs: 2_000,
      clock,
      onStateChange,
    }),
    store: new CircuitBreaker("fast-store", {
      failureThreshold: 3,
      openMs: 2_000,
      clock,
      onStateChange,
    }),
  };
  // Every fast-store call, wherever it is made, is bounded and counted by the one breaker.
  const store = guardStore(
    opts.store ??
      createStore(
        { url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN },
        log,
        clock,
      ),
    breakers.store,
  );
  return {
    config,
    sql,
    store,
    log,
    clock,
    dtos,
    breakers,
    dbProbe: probe?.probe,
    async close() {
      await probe?.close();
      if (!opts.sql) await sql.end({ timeout: 2 });
    },
  };
}
