/** Edge entrypoint: Supabase's runtime serves this module's default export. */
import { loadConfig } from "../_shared/config.ts";
import { createContext } from "../_shared/context.ts";
import { createApiApp } from "./app.ts";

const app = createApiApp(createContext(loadConfig(Deno.env.toObject()), { component: "api" }));
export default { fetch: app.fetch };
