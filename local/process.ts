/** Child processes started by the local stack and the test harness, stopped as a group. */
import { existsSync } from "node:fs";
import { sleep } from "../functions/_shared/clock.ts";
export interface Child {
  name: string;
  process: Deno.ChildProcess;
  stop(signal?: Deno.Signal): Promise<void>;
}

export interface SpawnOptions {
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Where stdout and stderr go; "inherit" shows them, a path appends them to a file. */
  output?: "inherit" | "null" | string;
  /** The child stops when we exit, even on SIGKILL (see functions/_shared/lifecycle.ts). */
  exitWithParent?: boolean;
}

export async function spawn(name: string, command: string, opts: SpawnOptions): Promise<Child> {
  const toFile = opts.output && opts.output !== "inherit" && opts.output !== "null";
  const process = new Deno.Command(command, {
    args: opts.args,
    cwd: opts.cwd,
    env: opts.exitWithParent ? { ...opts.env, SWITCHYARD_EXIT_WITH_PARENT: "1" } : opts.env,
    // The pipe's write end stays open in this process for as long as it lives.
    stdin: opts.exitWithParent ? "piped" : "null",
    stdout: toFile ? "piped" : (opts.output as "inherit" | "null" | undefined) ?? "inherit",
    stderr: toFile ? "piped" : (opts.output as "inherit" | "null" | undefined) ?? "inherit",
  }).spawn();
  if (toFile) {
    const file = await Deno.open(opts.output!, { create: true, append: true });
    const sink = () =>
      new WritableStream<Uint8Array>({ write: async (chunk) => void await file.write(chunk) });
    void Promise.allSettled([process.stdout.pipeTo(sink()), process.stderr.pipeTo(sink())])
      .then(() => file.close());
  }
  let stopped: Promise<void> | undefined;
  return {
    name,
    process,
    stop(signal: Deno.Signal = "SIGTERM") {
      stopped ??= (async () => {
        try {
          process.kill(signal);
        } catch { /* already gone */ }
        const timer = setTimeout(() => {
          try {
            process.kill("SIGKILL");
          } catch { /* already gone */ }
        }, 10_000);
        await process.status;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}

/**
 * A server left running on a folder by a stack that was killed outright (Postgres, Redis and
 * pgbouncer cannot watch their parent): if the pid on the first line of `pidFile` is a live process
 * whose command line includes `mustInclude`, send it `signal` and wait for it to exit.
 */
export async function stopOrphan(
  pidFile: string,
  mustInclude: string,
  signal: Deno.Signal = "SIGTERM",
  timeoutMs = 10_000,
) {
  const pid = await livePid(pidFile, mustInclude);
  if (pid === null) return;
  Deno.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (existsSync(`/proc/${pid}`) && Date.now() < deadline) {
    await sleep(50);
  }
}

/** The pid on the first line of `pidFile`, if it is a live process whose command line includes `mustInclude`. */
export async function livePid(pidFile: string, mustInclude: string): Promise<number | null> {
  const pid = Number((await Deno.readTextFile(pidFile).catch(() => "")).split("\n")[0]);
  const cmdline = pid ? await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "") : "";
  return cmdline.includes(mustInclude) ? pid : null;
}

/** Runs a command to completion; throws with its output when it fails. */
export async function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
) {
  const out = await new Deno.Command(command, { args, cwd: opts.cwd, env: opts.env, stdin: "null" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`${command} ${args.join(" ")} failed (${out.code}): ${text.trim()}`);
  }
  return text;
}

/**
 * Runs as `user` when we are root, since Postgres refuses to run as root. `setpriv` execs in place,
 * so signals reach the command itself.
 */
export function asUnprivileged(
  user: string | undefined,
  command: string,
  args: string[],
): [string, string[]] {
  return user
    ? ["setpriv", ["--reuid", user, "--regid", user, "--init-groups", "--", command, ...args]]
    : [command, args];
}

/** Every descendant of `pid` (children before grandchildren), from /proc: what a stack started. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
    } catch {
      continue; // gone meanwhile
    }
    // The command name (field 2) may hold spaces and parentheses: the ppid is the second field after it.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(e.name)]);
  }
  const all: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      all.push(c);
      walk(c);
    }
  };
  walk(pid);
  return all;
}
