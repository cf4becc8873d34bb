/** Edge entrypoint: Supabase's runtime serves this module's default export. */
import { loadConfig } from "../_shared/config.ts";
import { createContext } from "../_shared/context.ts";
import { createAdminApp } from "./app.ts";

const app = createAdminApp(createContext(loadConfig(Deno.env.toObject()), { component: "admin" }));
export default { fetch: app.fetch };
