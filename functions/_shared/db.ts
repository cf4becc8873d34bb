/** The Postgres pool (postgres.js), what a query on a pool or in a transaction takes, and outage detection. */
import postgres from "postgres";

export type Sql = postgres.Sql;

/** A pool or a transaction: what a query that runs on either takes. */
export type Queryable = postgres.Sql | postgres.TransactionSql;

export function createSql(url: string, opts: { max?: number; application?: string } = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 5,
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
]);

/** True when the database could not be reached or is shutting down, as opposed to a query error. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; errno?: string; name?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && unavailableCodes.has(e.code)) return true;
  if (e.errno && unavailableCodes.has(e.errno)) return true;
  return e.name === "ConnectionRefused" ||
    /connection refused|ECONNREFUSED|write CONNECTION_CLOSED/i.test(e.message ?? "");
}
