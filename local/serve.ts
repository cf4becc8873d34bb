/**
 * Serves every function at `/functions/v1/<name>` (Supabase's local URL layout), passing each app
 * the path the edge runtime would: `/<name>/...`. `npm start` runs several of these processes on
 * the one port (`reusePort`, unstable in Deno: deno.json enables `net`): the kernel spreads connections between
 * them, so nothing may rely on state kept in one process.
 */
import type { AppContext } from "../functions/_shared/context.ts";
import { loadConfig } from "../functions/_shared/config.ts";
import { createContext } from "../functions/_shared/context.ts";
import { createApiApp } from "../functions/api/app.ts";
import { createAdminApp } from "../functions/admin/app.ts";
import { createPipelineApp } from "../functions/pipeline/app.ts";
import { createTelegramApp } from "../functions/telegram/app.ts";
import { stopOnShutdown } from "../functions/_shared/lifecycle.ts";
import { stopDeliveries } from "../functions/_shared/pipeline/deliver.ts";
import { closeBrokerLinks } from "../functions/_shared/delivery/connectors/broker-pool.ts";
import { loadDtoFolder } from "../functions/_shared/dtos/registry.ts";
import { GATEWAY_PREFIX } from "../functions/_shared/http.ts";
import { errorBody } from "../functions/_shared/errors.ts";

const functionNames = ["api", "admin", "pipeline", "telegram"] as const;

function functionsHandler(
  ctx: AppContext,
): (req: Request, info?: Deno.ServeHandlerInfo) => Response | Promise<Response> {
  // A Map: a name from the URL must never find an object's own properties (`constructor`, …).
  const apps = new Map(Object.entries({
    api: createApiApp(ctx),
    admin: createAdminApp(ctx),
    pipeline: createPipelineApp(ctx),
    telegram: createTelegramApp(ctx),
  }));
  return (req, info?: Deno.ServeHandlerInfo) => {
    // Each app routes on the path after the gateway's prefix itself (functionPath in http.ts).
    const m = functionInUrl.exec(req.url);
    const app = m && apps.get(m[1]);
    if (!app) {
      return Response.json(errorBody("not_found", `no function at ${new URL(req.url).pathname}`), {
        status: 404,
      });
    }
    // The connection info lets handlers see the client address (hono/deno getConnInfo).
    return app.fetch(req, info);
  };
}

/** `<scheme>://<host>/functions/v1/<name>` followed by the rest of the path, a query or nothing. */
const functionInUrl = new RegExp(`^[a-z]+://[^/]+${GATEWAY_PREFIX}/([a-z-]+)(?:[/?#]|$)`);

export function serveFunctions(
  ctx: AppContext,
  port: number,
  { hostname = "127.0.0.1", reusePort = false }: { hostname?: string; reusePort?: boolean } = {},
) {
  const handler = functionsHandler(ctx);
  const instance = String(Deno.pid);
  const server = Deno.serve(
    { port, hostname, reusePort, onListen: () => {} },
    reusePort
      ? async (req, info) => {
        // Which of the processes on the port answered: the local stack's, for tests and debugging.
        const res = await handler(req, info);
        try {
          res.headers.set("x-switchyard-instance", instance);
          return res;
        } catch { // immutable headers (a response passed through from fetch): copy it
          const tagged = new Response(res.body, res);
          tagged.headers.set("x-switchyard-instance", instance);
          return tagged;
        }
      }
      : handler,
  );
  return { url: `http://${hostname}:${port}/functions/v1`, shutdown: () => server.shutdown() };
}

if (import.meta.main) {
  const config = loadConfig(Deno.env.toObject());
  const ctx = createContext(config, {
    component: "functions",
    dtos: await loadDtoFolder(config.SWITCHYARD_DTO_DIR),
  });
  const server = serveFunctions(ctx, ctx.config.SWITCHYARD_PORT, { reusePort: true });
  ctx.log.info("functions listening", {
    url: server.url,
    functions: functionNames,
    pid: Deno.pid,
  });
  stopOnShutdown(async () => {
    await server.shutdown();
    // No more claims; what is being sent finishes and its outcome is recorded, so nothing waits
    // for a lease to end (stopOnShutdown's grace bounds this: past it, the leases do come back).
    await stopDeliveries(ctx);
    await closeBrokerLinks();
    await ctx.close();
  });
}
