/** The one HTTP client for the admin function: service key, JSON in and out, errors as one readable line. */
import type { CliConfig } from "./config.ts";
import { type ErrorDetail, UserError } from "./errors.ts";
import { Buffer } from "node:buffer";
import { request as httpRequest } from "node:http";

export type Query = Record<string, string | number | boolean | undefined>;

interface ErrorBody {
  error?: { code?: string; message?: string; details?: ErrorDetail[] };
}

export class AdminClient {
  readonly base: string;

  constructor(private readonly config: CliConfig, private readonly timeoutMs = 30_000) {
    this.base = `${config.supabaseUrl}/functions/v1/admin`;
  }

  get<T>(
    path: string,
    query: Query = {},
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    return this.request<T>("GET", path, { query, ...opts });
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>("POST", path, { body });
  }

  async request<T>(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs);
    let res: Answer;
    try {
      res = await exchange(url, {
        method,
        headers: {
          authorization: `Bearer ${this.config.serviceKey}`,
          ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (timeout.aborted) {
        throw new UserError(
          `Switchyard at ${this.config.supabaseUrl} did not answer ${method} ${path} in ${
            Math.round((opts.timeoutMs ?? this.timeoutMs) / 1000)
          } s`,
          "timeout",
        );
      }
      throw new UserError(
        `cannot reach Switchyard at ${this.config.supabaseUrl} — is \`npm start\` running?`,
        "unreachable",
      );
    }
    const text = res.text;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300) {
      if (json === undefined) {
        throw new UserError(
          `unexpected answer from ${url.origin}${url.pathname}: HTTP ${res.status}, not JSON`,
          "bad_response",
        );
      }
      return json as T;
    }
    throw this.failure(method, path, res.status, (json as ErrorBody | undefined)?.error);
  }

  private failure(
    method: string,
    path: string,
    status: number,
    error: ErrorBody["error"],
  ): UserError {
    const code = error?.code ?? `http_${status}`;
    const message = error?.message ?? `HTTP ${status}`;
    if (status === 401) {
      return new UserError(
        "the service role key was refused — check SUPABASE_SERVICE_ROLE_KEY",
        "unauthorized",
      );
    }
    if (status === 404 && /^no (route|function) /.test(message)) {
      const route = `${method} ${path.split("?")[0]}`;
      return new UserError(
        `this Switchyard has no admin route ${route} yet — update the stack at ${this.config.supabaseUrl}`,
        "no_route",
      );
    }
    if (status === 503) return new UserError(`Switchyard is unavailable: ${message}`, code);
    if (status >= 500) return new UserError(`Switchyard failed (HTTP ${status}): ${message}`, code);
    // 400 means the input itself is wrong: a usage error, like a bad flag caught here.
    return new UserError(message, code, error?.details ?? [], status === 400 ? 2 : 1);
  }
}

interface Answer {
  status: number;
  text: string;
}

/**
 * One request and its whole answer over node:http (node:https for https URLs); `signal` aborts
 * either. Not fetch: loading undici cost every command ~25 ms before it sent anything.
 */
async function exchange(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
): Promise<Answer> {
  const send = url.protocol === "https:" ? (await import("node:https")).request : httpRequest;
  const headers = init.body === undefined
    ? init.headers
    : { ...init.headers, "content-length": String(Buffer.byteLength(init.body)) };
  return await new Promise<Answer>((resolve, reject) => {
    const req = send(url, { method: init.method, headers, signal: init.signal }, (res) => {
      res.setEncoding("utf8");
      let text = "";
      res.on("data", (chunk: string) => text += chunk);
      res.on("error", reject);
      res.on("close", () => {
        if (res.complete) resolve({ status: res.statusCode ?? 0, text });
        else reject(init.signal.reason ?? new Error("the connection closed mid-answer"));
      });
    });
    req.on("error", reject);
    req.end(init.body);
  });
}
