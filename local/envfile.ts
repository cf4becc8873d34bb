/** `.switchyard/env`: KEY=value lines the local stack writes and the CLI reads. */
export async function readEnvFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return {};
    throw err;
  }
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

export async function writeEnvFile(path: string, values: Record<string, string>) {
  const body = Object.entries(values).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
  await Deno.writeTextFile(path, body, { mode: 0o600 });
}
