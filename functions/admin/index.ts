/** Edge entrypoint: Supabase's runtime serves this module's default export. */
import { loadConfig } from "../_shared/config.ts";
import { createContext } from "../_shared/context.ts";
import { createAdminApp } from "./app.ts";
// The deployment's DTO types: imported, not read from disk, so `supabase functions deploy` bundles them.
import dtos from "../../dtos/index.ts";

const app = createAdminApp(
  createContext(loadConfig(Deno.env.toObject()), { component: "admin", dtos }),
);
export default { fetch: app.fetch };
