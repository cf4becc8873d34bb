/** Edge entrypoint: Supabase's runtime serves this module's default export. */
import { loadConfig } from "../_shared/config.ts";
import { createContext } from "../_shared/context.ts";
import { createPipelineApp } from "./app.ts";

const app = createPipelineApp(
  createContext(loadConfig(Deno.env.toObject()), { component: "pipeline" }),
);
export default { fetch: app.fetch };
