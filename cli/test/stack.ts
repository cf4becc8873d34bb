/**
 * What the CLI tests share: a running stack (tests/cli-stack.ts, real Postgres) and the real
 * `switchyard` bin run in its own process, exactly as users run it. (In-process @oclif/test capture
 * swallows node:test's own report, which goes through the same process.stdout.)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { waitUntil } from "../../tests/wait.ts";

export const cliRoot = fileURLToPath(new URL("..", import.meta.url));
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface StackInfo {
  base: string;
  apiBase: string;
  serviceKey: string;
  supabaseUrl: string;
  databaseUrl: string;
}

export interface Stack extends StackInfo {
  stop(): Promise<void>;
}

/** Starts the Deno helper and points this process's CLI config at it. */
export async function startStack(): Promise<Stack> {
  const child = spawn(`${repoRoot}node_modules/.bin/deno`, [
    "run",
    "-A",
    "--no-check",
    "tests/cli-stack.ts",
  ], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, "line").then(([line]) => line as string),
    once(child, "exit").then(([code]) => {
      throw new Error(`tests/cli-stack.ts exited (${code}) before it was ready`);
    }),
  ]);
  const info = JSON.parse(first) as StackInfo;
  process.env.SUPABASE_URL = info.supabaseUrl;
  process.env.SUPABASE_SERVICE_ROLE_KEY = info.serviceKey;
  return { ...info, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = once(child, "exit");
  child.stdin!.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface Ran {
  stdout: string;
  stderr: string;
  exit: number;
  /** stdout parsed, for `--json` runs */
  json: any;
}

function parse(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

/** One command against the stack startStack() started. */
export function cli(...args: string[]): Promise<Ran> {
  return bin(args, {
    SUPABASE_URL: process.env.SUPABASE_URL!,
    SUPABASE_SERVICE_ROLE_KEY: process.env.SUPABASE_SERVICE_ROLE_KEY!,
  });
}

/** The real `switchyard` bin in its own process, with the environment given (and nothing from the stack unless passed). */
export async function bin(
  args: string[],
  env: Record<string, string> = {},
  opts: { cwd?: string } = {},
): Promise<Ran> {
  const child = spawn(process.execPath, [`${cliRoot}bin/run.js`, ...args], {
    cwd: opts.cwd ?? cliRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const [code] = await once(child, "exit");
  return { stdout, stderr, exit: code as number, json: parse(stdout) };
}

/** Posts events through the public API with a tenant key. */
export async function sendEvents(stack: StackInfo, key: string, events: unknown[]) {
  const res = await fetch(`${stack.apiBase}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  if (res.status !== 202) throw new Error(`POST /events: ${res.status} ${await res.text()}`);
  return (await res.json()) as { accepted: { id: string; version: number }[] };
}

export function uniqueSlug(prefix = "t") {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/** A tenant and one of its API keys, made through the CLI. */
export async function tenantWithKey(prefix = "t"): Promise<{ slug: string; key: string }> {
  const slug = uniqueSlug(prefix);
  const created = await cli("tenants", "create", slug);
  if (created.exit !== 0) throw new Error(`tenants create: ${created.stderr}`);
  const key = await cli("keys", "create", "--tenant", slug, "--json");
  if (key.exit !== 0) throw new Error(`keys create: ${key.stderr}`);
  return { slug, key: key.json.key };
}

/** The bin started in the background against the stack, for commands that run until stopped. */
export function background(args: string[]) {
  const child = spawn(process.execPath, [`${cliRoot}bin/run.js`, ...args], {
    cwd: cliRoot,
    env: {
      PATH: process.env.PATH,
      NO_COLOR: "1",
      SUPABASE_URL: process.env.SUPABASE_URL,
      SUPABASE_SERVICE_ROLE_KEY: process.env.SUPABASE_SERVICE_ROLE_KEY,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d) => (out.stdout += d));
  child.stderr!.on("data", (d) => (out.stderr += d));
  const exited = once(child, "exit").then(([code]) => code as number);
  return {
    out,
    exited,
    signal: (sig: NodeJS.Signals) => child.kill(sig),
    /** Resolves when stdout or stderr matches, rejects after `ms`. */
    async waitFor(pattern: RegExp, ms = 15_000) {
      await waitUntil(`${pattern} in the output`, () => {
        if (pattern.test(out.stdout + out.stderr)) return true;
        if (child.exitCode === null) return false;
        throw new Error(`never saw ${pattern}; stdout=${out.stdout} stderr=${out.stderr}`);
      }, ms);
    },
  };
}
