/** Standard Webhooks signing (docs/CONTRACT.md, "Webhooks"): secrets `whsec_<base64>`, `v1,<base64 HMAC-SHA256>`. */
import { decodeBase64, encodeBase64 } from "../base64.ts";

export function newSecret(): string {
  return `whsec_${encodeBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    const raw = decodeBase64(secret.replace(/^whsec_/, ""));
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    if (keys.size > 10_000) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/** The `webhook-signature` value: one `v1,…` per secret, space-separated. */
export async function signatureHeader(
  secrets: string[],
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<string> {
  const content = new TextEncoder().encode(`${id}.${timestampSeconds}.${body}`);
  const signatures = await Promise.all(secrets.map(async (s) => {
    const mac = await crypto.subtle.sign("HMAC", await keyFor(s), content);
    return `v1,${encodeBase64(new Uint8Array(mac))}`;
  }));
  return signatures.join(" ");
}

/** The three Standard Webhooks headers for one try. */
export async function webhookHeaders(
  secrets: string[],
  id: string,
  nowMs: number,
  body: string,
): Promise<Record<string, string>> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatureHeader(secrets, id, timestamp, body),
  };
}
