/**
 * A transaction-mode pgbouncer (Debian's, 1.18) in front of Postgres, as Supavisor's port 6543 is
 * on hosted Supabase: each transaction may run on another server connection, so no prepared
 * statements (postgres.js `prepare: false`), and LISTEN and replication keep a direct connection.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { asUnprivileged, type Child, spawn, stopOrphan } from "./process.ts";
import { waitForPort } from "./ports.ts";
import { chownTo, unprivilegedUser } from "./postgres.ts";

export function pgbouncerPath(): string | undefined {
  return ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"].find((p) =>
    existsSync(p)
  );
}

export interface Pooler {
  port: number;
  child: Child;
  /** `url` with its host and port replaced by the pooler's. */
  pooled(url: string): string;
}

/** Starts pgbouncer on `port` for every database of the server at `dbPort`; trusts local users as Postgres does. */
export async function startPgbouncer(
  opts: { port: number; dbPort: number; dir: string; users?: string[]; poolSize?: number },
): Promise<Pooler> {
  const bin = pgbouncerPath();
  if (!bin) throw new Error("pgbouncer is not installed (Debian: apt-get install pgbouncer)");
  const user = await unprivilegedUser();
  await Deno.mkdir(opts.dir, { recursive: true });
  const users = opts.users ?? ["postgres"];
  await Deno.writeTextFile(join(opts.dir, "users.txt"), users.map((u) => `"${u}" ""\n`).join(""));
  const ini = join(opts.dir, "pgbouncer.ini");
  const pidFile = join(opts.dir, "pgbouncer.pid");
  await stopOrphan(pidFile, ini);
  await Deno.writeTextFile(
    ini,
    `[databases]
* = host=127.0.0.1 port=${opts.dbPort}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${opts.port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(opts.dir, "users.txt")}
pool_mode = transaction
default_pool_size = ${opts.poolSize ?? 20}
max_client_conn = 2000
server_connect_timeout = 2
server_login_retry = 1
query_wait_timeout = 10
ignore_startup_parameters = extra_float_digits
admin_users = ${users[0]}
pidfile = ${pidFile}
`,
  );
  await chownTo(user, opts.dir);
  const [cmd, args] = asUnprivileged(user, bin, [ini]);
  const child = await spawn("pgbouncer", cmd, { args, output: join(opts.dir, "pgbouncer.log") });
  const exited = child.process.status.then((s) => {
    throw new Error(`pgbouncer exited (${s.code}) during start-up; see ${opts.dir}/pgbouncer.log`);
  });
  await Promise.race([waitForPort(opts.port, 20_000), exited]);
  exited.catch(() => {});
  return {
    port: opts.port,
    child,
    pooled(url: string) {
      const u = new URL(url);
      u.hostname = "127.0.0.1";
      u.port = String(opts.port);
      return u.toString();
    },
  };
}
