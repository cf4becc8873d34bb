/**
 * An example's tenant and API key, made through the admin API as an operator would. The key is
 * kept under the state folder, so a second `npm start -- --example …` reuses it instead of
 * minting another.
 */
import { adminApi, ensureTenant } from "./admin.ts";

const root = new URL("../..", import.meta.url).pathname;

export type ExampleEnv = Record<string, string | undefined>;

export interface ExampleTenant {
  slug: string;
  key: string;
  /** Where the key is kept: `KEY=$(cat <keyFile>)` in the READMEs. */
  keyFile: string;
  /** `http://127.0.0.1:<port>/functions/v1` */
  base: string;
}

function required(env: ExampleEnv, name: string): string {
  const v = env[name];
  if (!v) {
    throw new Error(`${name} is not set: start the example with npm start -- --example <name>`);
  }
  return v;
}

function keyFileOf(env: ExampleEnv, slug: string): string {
  return `${env.SWITCHYARD_STATE_DIR ?? `${root}.switchyard`}/examples/${slug}.key`;
}

async function keyWorks(base: string, key: string): Promise<boolean> {
  const res = await fetch(`${base}/api/events?limit=1`, {
    headers: { authorization: `Bearer ${key}` },
  });
  await res.body?.cancel();
  return res.status === 200;
}

/** Creates the tenant unless it exists; reuses the kept key while it still works, else makes one. */
export async function exampleTenant(
  env: ExampleEnv,
  slug: string,
  name: string,
): Promise<ExampleTenant> {
  const base = `${required(env, "SUPABASE_URL")}/functions/v1`;
  const api = adminApi({
    SUPABASE_URL: required(env, "SUPABASE_URL"),
    SUPABASE_SERVICE_ROLE_KEY: required(env, "SUPABASE_SERVICE_ROLE_KEY"),
  });
  await ensureTenant(api, slug, name);

  const keyFile = keyFileOf(env, slug);
  const kept = await Deno.readTextFile(keyFile).then((k) => k.trim()).catch(() => "");
  if (kept && await keyWorks(base, kept)) return { slug, key: kept, keyFile, base };

  const { key } = await api<{ key: string }>("POST", "/keys", { tenant: slug, name: "example" });
  await Deno.mkdir(keyFile.slice(0, keyFile.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(keyFile, `${key}\n`, { mode: 0o600 });
  return { slug, key, keyFile, base };
}
