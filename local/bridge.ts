/**
 * An Upstash-compatible Redis REST server in front of a local redis-server (development and tests
 * only; production talks to Upstash). Wire format: https://upstash.com/docs/redis/features/restapi
 *
 *   deno run -A local/bridge.ts --port 8079 --redis-port 6379 --token X
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { type Arg, type Reply, RespError, RespPool } from "./resp.ts";
import { exitWithParent } from "../functions/_shared/lifecycle.ts";
import { DeadlineError, withDeadline } from "../functions/_shared/deadline.ts";

/** A redis-server that does not answer within this long gets the caller a 504 (it is hung or gone). */
const REDIS_DEADLINE_MS = 2_000;

export interface BridgeOptions {
  port: number;
  redisPort: number;
  token: string;
  hostname?: string;
  redisHostname?: string;
}

export interface Bridge {
  url: string;
  token: string;
  stop(): Promise<void>;
}

type Answer = { result: unknown } | { error: string };

/** The request cannot be a Redis command: answered 400, as Upstash does. */
class BadRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadRequestError";
  }
}

// State-changing or blocking connection commands would corrupt the shared, pipelined connections.
const REFUSED = new Set([
  "MULTI",
  "EXEC",
  "DISCARD",
  "WATCH",
  "UNWATCH",
  "SELECT",
  "AUTH",
  "HELLO",
  "QUIT",
  "RESET",
  "CLIENT",
  "MONITOR",
  "SUBSCRIBE",
  "PSUBSCRIBE",
  "SSUBSCRIBE",
  "UNSUBSCRIBE",
  "PUNSUBSCRIBE",
  "BLPOP",
  "BRPOP",
  "BLMOVE",
  "BRPOPLPUSH",
  "BZPOPMIN",
  "BZPOPMAX",
  "BLMPOP",
  "BZMPOP",
  "WAIT",
  "XREAD",
  "XREADGROUP",
  "SHUTDOWN",
  "DEBUG",
]);

const utf8 = new TextDecoder();

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
}

/** Upstash sends every string base64-encoded when asked, except a plain top-level "OK". */
function toJson(reply: Reply, base64: boolean, top: boolean): unknown {
  if (reply === null || typeof reply === "number") return reply;
  if (reply instanceof Uint8Array) return base64 ? toBase64(reply) : utf8.decode(reply);
  if (typeof reply === "string") {
    return base64 && !(top && reply === "OK") ? Buffer.from(reply).toString("base64") : reply;
  }
  if (reply instanceof RespError) {
    return base64 ? Buffer.from(reply.message).toString("base64") : reply.message;
  }
  return reply.map((r) => toJson(r, base64, false));
}

function answer(reply: Reply, base64: boolean): Answer {
  return reply instanceof RespError
    ? { error: reply.message }
    : { result: toJson(reply, base64, true) };
}

function toCommand(raw: unknown): Arg[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new BadRequestError("ERR failed to parse command");
  }
  return raw.map((
    a,
  ) => (typeof a === "string"
    ? a
    : a !== null && typeof a === "object"
    ? JSON.stringify(a)
    : String(a))
  );
}

function toCommands(raw: unknown): Arg[][] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new BadRequestError("ERR failed to parse pipeline request");
  }
  return raw.map(toCommand);
}

/**
 * Upstash's Lua accepts a shebang flag Redis 7.0 rejects (`allow-key-locking`, used by
 * @upstash/ratelimit). We strip it and remember which SHA the client knows the script by.
 */
class Scripts {
  #alias = new Map<string, string>();

  static sha1(text: string): string {
    return createHash("sha1").update(text).digest("hex");
  }

  #strip(script: string): string {
    if (!script.startsWith("#!")) return script;
    const nl = script.indexOf("\n");
    const shebang = nl < 0 ? script : script.slice(0, nl);
    if (!shebang.includes("allow-key-locking")) return script;
    const fixed = shebang.replace(/allow-key-locking,?/, "").replace(/,\s*$/, "").replace(
      /flags=\s*$/,
      "",
    );
    const rewritten = fixed + (nl < 0 ? "" : script.slice(nl));
    this.#alias.set(Scripts.sha1(script), Scripts.sha1(rewritten));
    return rewritten;
  }

  /** Rewrites the command in place when it carries a script or a script's SHA. */
  rewrite(cmd: Arg[]): { loadedAs?: string } {
    const name = String(cmd[0]).toUpperCase();
    if ((name === "EVAL" || name === "EVAL_RO") && typeof cmd[1] === "string") {
      cmd[1] = this.#strip(cmd[1]);
    } else if ((name === "EVALSHA" || name === "EVALSHA_RO") && typeof cmd[1] === "string") {
      cmd[1] = this.#alias.get(cmd[1].toLowerCase()) ?? cmd[1];
    } else if (name === "SCRIPT" && cmd.length > 2) {
      const sub = String(cmd[1]).toUpperCase();
      if (sub === "LOAD" && typeof cmd[2] === "string") {
        const original = cmd[2];
        cmd[2] = this.#strip(original);
        if (cmd[2] !== original) return { loadedAs: Scripts.sha1(original) };
      } else if (sub === "EXISTS") {
        for (let i = 2; i < cmd.length; i++) {
          cmd[i] = this.#alias.get(String(cmd[i]).toLowerCase()) ?? cmd[i];
        }
      }
    }
    return {};
  }
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function bridgeHandler(pool: RespPool, token: string): (req: Request) => Promise<Response> {
  const scripts = new Scripts();
  const expected = `Bearer ${token}`;

  /** Pre-checks and script rewriting; a refused command answers without reaching Redis. */
  const prepare = (cmds: Arg[][]): { refused?: string; loadedAs?: string }[] =>
    cmds.map((cmd) => {
      const name = String(cmd[0]).toUpperCase();
      if (REFUSED.has(name)) {
        return { refused: `ERR Command is not allowed: ${name.toLowerCase()}` };
      }
      return scripts.rewrite(cmd);
    });

  async function run(cmds: Arg[][], base64: boolean): Promise<Answer[]> {
    const prepared = prepare(cmds);
    const sendable = cmds.filter((_, i) => !prepared[i].refused);
    const replies = await withDeadline(pool.send(sendable), REDIS_DEADLINE_MS, "redis-server");
    let j = 0;
    return prepared.map((p) => {
      if (p.refused) return { error: p.refused };
      const reply = replies[j++];
      return answer(p.loadedAs && !(reply instanceof RespError) ? p.loadedAs : reply, base64);
    });
  }

  async function transaction(cmds: Arg[][], base64: boolean): Promise<Response> {
    const prepared = prepare(cmds);
    const refused = prepared.find((p) => p.refused);
    if (refused) return json({ error: refused.refused }, 400);
    const replies = await withDeadline(
      pool.dedicated((conn) => conn.send([["MULTI"], ...cmds, ["EXEC"]])),
      REDIS_DEADLINE_MS,
      "redis-server",
    );
    const exec = replies[replies.length - 1];
    if (!Array.isArray(exec)) {
      const queued = replies.slice(1, -1).find((r) => r instanceof RespError) as
        | RespError
        | undefined;
      const error = queued ??
        (exec instanceof RespError ? exec : new RespError("ERR transaction failed"));
      return json({ error: error.message }, 400);
    }
    return json(exec.map((reply, i) => {
      const loadedAs = prepared[i].loadedAs;
      return answer(loadedAs && !(reply instanceof RespError) ? loadedAs : reply, base64);
    }));
  }

  async function body(req: Request): Promise<unknown> {
    try {
      return await req.json();
    } catch {
      throw new BadRequestError("ERR failed to parse request body as JSON");
    }
  }

  /** `/set/foo/bar?EX=100`; a POST body is appended as the last argument before the query. */
  async function pathCommand(req: Request, url: URL): Promise<Arg[]> {
    const cmd: Arg[] = url.pathname.slice(1).split("/").map(decodeURIComponent);
    if (req.method === "POST" || req.method === "PUT") {
      const text = await req.text();
      if (text.length > 0) cmd.push(text);
    }
    for (const [k, v] of url.searchParams) {
      if (k !== "_token") cmd.push(k, ...(v === "" ? [] : [v]));
    }
    return cmd;
  }

  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const auth = req.headers.get("authorization") ??
      `Bearer ${url.searchParams.get("_token") ?? ""}`;
    if (auth !== expected) return json({ error: "Unauthorized" }, 401);
    if (!["GET", "HEAD", "POST", "PUT"].includes(req.method)) {
      return json({ error: "Method Not Allowed" }, 405);
    }
    const base64 = req.headers.get("upstash-encoding")?.toLowerCase() === "base64";
    try {
      if (url.pathname === "/pipeline") return json(await run(toCommands(await body(req)), base64));
      if (url.pathname === "/multi-exec") {
        return await transaction(toCommands(await body(req)), base64);
      }
      const cmd = url.pathname === "/" ? toCommand(await body(req)) : await pathCommand(req, url);
      const [one] = await run([cmd], base64);
      return json(one, "error" in one ? 400 : 200);
    } catch (e) {
      if (e instanceof BadRequestError) return json({ error: e.message }, 400);
      if (e instanceof DeadlineError) return json({ error: `ERR bridge: ${e.message}` }, 504);
      return json({ error: `ERR bridge: ${e instanceof Error ? e.message : String(e)}` }, 500);
    }
  };
}

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const pool = new RespPool({ port: opts.redisPort, hostname: opts.redisHostname });
  await pool.send([["PING"]]);
  const hostname = opts.hostname ?? "127.0.0.1";
  const listening = Promise.withResolvers<void>();
  const server = Deno.serve(
    { port: opts.port, hostname, onListen: () => listening.resolve() },
    bridgeHandler(pool, opts.token),
  );
  await listening.promise;
  return {
    url: `http://${hostname}:${opts.port}`,
    token: opts.token,
    async stop() {
      await server.shutdown();
      await pool.close();
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "8079" },
      "redis-port": { type: "string", default: "6379" },
      token: { type: "string" },
      hostname: { type: "string", default: "127.0.0.1" },
    },
  });
  const token = values.token ?? Deno.env.get("UPSTASH_REDIS_REST_TOKEN");
  if (!token) {
    console.error("bridge: --token (or UPSTASH_REDIS_REST_TOKEN) is required");
    Deno.exit(2);
  }
  const bridge = await startBridge({
    port: Number(values.port),
    redisPort: Number(values["redis-port"]),
    token,
    hostname: values.hostname,
  });
  console.log(`bridge: ${bridge.url} -> redis 127.0.0.1:${values["redis-port"]}`);
  const stop = () => void bridge.stop().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  exitWithParent();
}
