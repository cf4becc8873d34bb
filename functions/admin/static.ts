/** The pages' static files (no build step): read once, served with a strict CSP and no caching surprises. */
import type { Context, Hono } from "hono";
import type { Env } from "../_shared/http.ts";
import { AppError } from "../_shared/errors.ts";

const types: Record<string, string> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
};
const cache = new Map<string, string>();

/** `path` under functions/admin/, where the files sit as their URLs say (dashboard/assets/app.js). */
async function read(path: string): Promise<string> {
  let text = cache.get(path);
  if (text === undefined) {
    text = await Deno.readTextFile(new URL(`./${path}`, import.meta.url));
    cache.set(path, text);
  }
  return text;
}

/** The page may talk to its own origin only: no CDN, no inline script, framed only by `frameAncestors`. */
export function contentSecurityPolicy(frameAncestors: string[] = []): string {
  return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; base-uri 'none'; form-action 'none'; " +
    `frame-ancestors ${frameAncestors.length ? frameAncestors.join(" ") : "'none'"}`;
}

/**
 * Serves `dir`/index.html at `route` and the listed `files` of `dir`/assets at `route`/assets/:file;
 * anything else under assets is a 404.
 */
export function serveStatic(
  app: Hono<Env>,
  { route, dir, files, frameAncestors = [] }: {
    route: string;
    dir: string;
    files: string[];
    frameAncestors?: string[];
  },
) {
  const csp = contentSecurityPolicy(frameAncestors);
  const serve = (path: string) => async (c: Context<Env>) => {
    c.header("Content-Security-Policy", csp);
    if (!frameAncestors.length) c.header("X-Frame-Options", "DENY");
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("Cache-Control", "no-cache");
    return c.body(await read(path), 200, { "content-type": types[path.split(".").pop()!] });
  };
  app.get(route, serve(`${dir}/index.html`));
  app.get(`${route}/assets/:file`, (c) => {
    const file = c.req.param("file");
    if (!files.includes(file)) throw new AppError("not_found", `no asset ${file}`);
    return serve(`${dir}/assets/${file}`)(c);
  });
}
