/** The Postgres pool (postgres.js), what a query on a pool or in a transaction takes, and outage detection. */
import postgres from "postgres";
import { createLogger } from "./log.ts";
import { DeadlineError, withDeadline } from "./deadline.ts";
import type { AppContext } from "./context.ts";

export type Sql = postgres.Sql;

/** A pool or a transaction: what a query that runs on either takes. */
export type Queryable = postgres.Sql | postgres.TransactionSql;

/** A connection not ready within this long has failed (a hung server accepts TCP); loaded machines need ~1 s. */
export const DB_CONNECT_TIMEOUT_S = 3;

/**
 * postgres.js waits this long before reconnecting after a failure; its default grows to 20 s, and
 * a query queued meanwhile waits it out. Capped at 0.5 s (jittered), a request on a database that
 * is away fails within about connect timeout + backoff, and the breaker answers the rest at once.
 */
export function reconnectBackoffS(retries: number, random = Math.random): number {
  return (0.5 + random() / 2) * Math.min(0.05 * 2 ** retries, 0.5);
}

/**
 * The request paths give their database work this long through the breaker (viaDatabase): a hung
 * server then costs a few callers 5 s each until the breaker opens, and everyone after a 503 at once.
 */
export const DB_CALL_DEADLINE_MS = 5_000;

/**
 * Database work that is a batch by design, a relay hand-over (up to 2,000 events routed and
 * composed) or a rebuild page (200 keys), gets this long: well past what such a batch takes here,
 * and well within the caller's own deadline (the relay's 30 s per try, the CLI's 30 s), so the
 * caller hears a 503 rather than giving up on a request that goes on holding a connection.
 */
export const DB_BATCH_DEADLINE_MS = 10_000;

/**
 * A request's database work: through the database breaker, within `deadlineMs` (a 503 past it;
 * DB_CALL_DEADLINE_MS unless the work is a batch by design). A deadline (the call's, or a new
 * connection's) counts against the breaker only when the server does not answer the probe either:
 * a server that answers was slow for this call alone (a lock on one table, most often), and every
 * other route should go on being served; one that does not is away, and the breaker opens at once.
 * Half-open, the breaker asks the probe before it lets a call through, so while the server stays
 * away a request waits at most the probe's deadline.
 */
export function viaDatabase<T>(
  ctx: Pick<AppContext, "breakers" | "dbProbe">,
  fn: () => Promise<T>,
  deadlineMs = DB_CALL_DEADLINE_MS,
): Promise<T> {
  return ctx.breakers.db.run(
    fn,
    (err) =>
      unanswered(err) && ctx.dbProbe
        ? ctx.dbProbe().then((answered) => answered ? false : "outage")
        : isUnavailable(err),
    deadlineMs,
    ctx.dbProbe,
  );
}

/** The call ran out of time, or a new connection did: the server may be away, or only slow for it. */
function unanswered(err: unknown): boolean {
  return (err instanceof DeadlineError && err.what === "database") ||
    (err as { code?: string } | null)?.code === "CONNECT_TIMEOUT";
}

/** The probe's own deadline: a server that cannot answer a trivial query this fast is away. */
export const DB_PROBE_DEADLINE_MS = 1_000;

/** How often the probe looks again while the pool's statements wait on a lock. */
const SWEEP_EVERY_MS = 1_000;

/**
 * After a database deadline: does the server answer, on a connection of the probe's own (the
 * pool's may all be stuck)? It also cancels the pool's statements (by `application`) that have
 * waited on a table's or a row's lock for longer than `lockedMs`: a request has given up on its
 * statement by then, and each holds one of the pool's connections (a job's statement that waited
 * so long fails as any database error does, and is retried; advisory locks are left alone: the
 * pipeline waits on those by design). While it cancelled any, or any still waits, it looks again every
 * SWEEP_EVERY_MS, for the statements that were queued behind the cancelled ones and took their
 * connections. Calls while a probe runs share its answer.
 */
export function databaseProbe(
  url: string,
  opts: { application: string; transactionPooler?: boolean; lockedMs: number },
): { probe: () => Promise<boolean>; close: () => Promise<void> } {
  let sql: Sql | undefined;
  let running: Promise<boolean> | undefined;
  let again: ReturnType<typeof setTimeout> | undefined;
  const probe = () =>
    running ??= (async () => {
      sql ??= connect(url, {
        max: 1,
        application: `${opts.application} probe`,
        transactionPooler: opts.transactionPooler,
      });
      try {
        const lockedS = opts.lockedMs / 1000;
        const [{ waiting, cancelled }] = await withDeadline(
          sql<{ waiting: number; cancelled: number }[]>`
            with ours as (
              select a.pid, a.query_start < now() - make_interval(secs => ${lockedS}) as past
              from pg_stat_activity a
              where a.application_name = ${opts.application} and a.state = 'active'
                and a.wait_event_type = 'Lock' and a.wait_event <> 'advisory'
            ), cancelled as (
              select pg_cancel_backend(o.pid) from ours o where o.past
            )
            select (select count(*) from ours where not past)::int as waiting,
              (select count(*) from cancelled)::int as cancelled`,
          DB_PROBE_DEADLINE_MS,
          "database",
        );
        if (waiting + cancelled > 0) {
          again ??= setTimeout(() => {
            again = undefined;
            void probe();
          }, SWEEP_EVERY_MS);
        }
        return true;
      } catch {
        return false;
      } finally {
        running = undefined;
      }
    })();
  return {
    probe,
    async close() {
      clearTimeout(again);
      await sql?.end({ timeout: 1 });
    },
  };
}

export interface SqlOptions {
  max?: number;
  application?: string;
  /**
   * Through a transaction-mode pooler (pgbouncer, Supavisor on port 6543): no protocol-level
   * prepared statements, which such a pooler cannot keep across transactions. Default: false.
   */
  transactionPooler?: boolean;
  /** With a pooler: the direct connection `sql.listen` uses, since LISTEN needs a session of its own. */
  listenUrl?: string;
}

let rejectionsHandled = false;

/**
 * postgres.js fetches array types on each new connection without awaiting the result, so a server
 * that fails a login half way (pgbouncer's "server login has been failing", a database starting
 * up) rejects a promise nobody holds, which would end the process. Such errors are logged here;
 * the queries waiting on that connection fail and are counted as usual.
 */
function survivePostgresRejections() {
  if (rejectionsHandled || typeof globalThis.addEventListener !== "function") return;
  rejectionsHandled = true;
  globalThis.addEventListener("unhandledrejection", (e) => {
    const reason = (e as PromiseRejectionEvent).reason;
    if (reason instanceof postgres.PostgresError || isUnavailable(reason)) {
      e.preventDefault();
      createLogger("db").warn("a database error no query was waiting for (connection set-up)", {
        err: reason,
      });
    }
  });
}

export function createSql(url: string, opts: SqlOptions = {}): Sql {
  survivePostgresRejections();
  const sql = connect(url, opts);
  if (!opts.transactionPooler || !opts.listenUrl) return sql;
  const direct = connect(opts.listenUrl, { ...opts, max: 1, transactionPooler: false });
  const end = sql.end.bind(sql);
  return Object.assign(sql, {
    listen: direct.listen.bind(direct),
    end: async (o?: { timeout?: number }) => void await Promise.all([end(o), direct.end(o)]),
  }) as Sql;
}

function connect(url: string, opts: SqlOptions): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: 30,
    connect_timeout: DB_CONNECT_TIMEOUT_S,
    backoff: reconnectBackoffS,
    prepare: !opts.transactionPooler,
    onnotice: () => {},
    connection: { application_name: opts.application ?? "switchyard" },
    transform: { undefined: null },
  });
}

const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01",
  "57P02",
  "57P03",
  "53300",
  "08006",
  "08001",
]);

/**
 * The server cancelled the statement (57014): the probe's sweep of statements left waiting on a
 * lock, a statement_timeout, an operator's pg_cancel_backend. The database did not do the work,
 * so the caller hears a 503; it says nothing about the server being away, so no breaker counts it.
 */
export function isCancelled(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === "57014";
}

/** True when the database could not be reached or is shutting down, as opposed to a query error. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; errno?: string; name?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && unavailableCodes.has(e.code)) return true;
  if (e.errno && unavailableCodes.has(e.errno)) return true;
  // Only the database's own deadline (the breaker named "database"), not the fast store's.
  if (err instanceof DeadlineError) return err.what === "database";
  return e.name === "ConnectionRefused" ||
    /connection refused|ECONNREFUSED|write CONNECTION_CLOSED/i.test(e.message ?? "");
}
