/** Edge entrypoint: Supabase's runtime serves this module's default export. */
import { loadConfig } from "../_shared/config.ts";
import { createContext } from "../_shared/context.ts";
import { createTelegramApp } from "./app.ts";

const app = createTelegramApp(
  createContext(loadConfig(Deno.env.toObject()), { component: "telegram" }),
);
export default { fetch: app.fetch };
