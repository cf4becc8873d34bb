/**
 * An example's tenant and API key, made through the admin API as an operator would. The key is
 * kept under the state folder, so a second `npm start -- --example …` reuses it instead of
 * minting another.
 */
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
  if (!v) throw new Error(`${name} is not set: start the example with npm start -- --example <name>`);
  return v;
}

export function keyFileOf(env: ExampleEnv, slug: string): string {
  return `${env.SWITCHYARD_STATE_DIR ?? `${root}.switchyard`}/examples/${slug}.key`;
}

async function admin(env: ExampleEnv, path: string, body: unknown): Promise<Response> {
  return await fetch(`${required(env, "SUPABASE_URL")}/functions/v1/admin${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${required(env, "SUPABASE_SERVICE_ROLE_KEY")}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function keyWorks(base: string, key: string): Promise<boolean> {
  const res = await fetch(`${base}/api/events?limit=1`, { headers: { authorization: `Bearer ${key}` } });
  await res.body?.cancel();
  return res.status === 200;
}

/** Creates the tenant unless it exists; reuses the kept key while it still works, else makes one. */
export async function exampleTenant(env: ExampleEnv, slug: string, name: string): Promise<ExampleTenant> {
  const base = `${required(env, "SUPABASE_URL")}/functions/v1`;
  const created = await admin(env, "/tenants", { slug, name });
  if (created.status !== 201 && created.status !== 409) throw new Error(`creating tenant ${slug}: ${created.status} ${await created.text()}`);
  await created.body?.cancel();

  const keyFile = keyFileOf(env, slug);
  const kept = await Deno.readTextFile(keyFile).then((k) => k.trim()).catch(() => "");
  if (kept && await keyWorks(base, kept)) return { slug, key: kept, keyFile, base };

  const res = await admin(env, "/keys", { tenant: slug, name: "example" });
  if (res.status !== 201) throw new Error(`creating an API key for ${slug}: ${res.status} ${await res.text()}`);
  const { key } = await res.json() as { key: string };
  await Deno.mkdir(keyFile.slice(0, keyFile.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(keyFile, `${key}\n`, { mode: 0o600 });
  return { slug, key, keyFile, base };
}
