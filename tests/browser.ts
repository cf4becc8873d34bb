/** Headless Chromium (Debian's, via playwright-core) for the page tests; nothing but 127.0.0.1 may load. */
import { chromium } from "playwright-core";

export async function launchBrowser(viewport = { width: 1280, height: 800 }) {
  const userDataDir = await Deno.makeTempDir({ prefix: "chromium-" });
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  await context.route(
    "**/*",
    (route) =>
      new URL(route.request().url()).hostname === "127.0.0.1" ? route.continue() : route.abort(),
  );
  return {
    context,
    async close() {
      await context.close();
      await Deno.remove(userDataDir, { recursive: true });
    },
  };
}

/** Where a test's screenshot goes: `dir` from the environment (e.g. docs/screenshots), else a temp folder. */
export function screenshotPath(envVar: string, name: string): string {
  const dir = Deno.env.get(envVar) ?? Deno.makeTempDirSync({ prefix: "screenshots-" });
  return `${dir}/${name}`;
}
