/** Standard Webhooks signing (docs/CONTRACT.md, "Webhooks"): secrets `whsec_<base64>`, `v1,<base64 HMAC-SHA256>`. */
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { decodeBase64, encodeBase64 } from "../base64.ts";

export function newSecret(): string {
  return `whsec_${encodeBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

const keys = new Map<string, Buffer>();

function keyFor(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(decodeBase64(secret.replace(/^whsec_/, "")));
    if (keys.size > 10_000) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/**
 * The `webhook-signature` value: one `v1,…` per secret, space-separated. node:crypto, synchronously:
 * WebCrypto's promise-returning sign was 8% of the delivery worker's CPU.
 */
export function signatureHeader(
  secrets: string[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const content = `${id}.${timestampSeconds}.${body}`;
  return secrets.map((s) =>
    `v1,${createHmac("sha256", keyFor(s)).update(content, "utf8").digest("base64")}`
  ).join(" ");
}

/** The three Standard Webhooks headers for one try. */
export function webhookHeaders(
  secrets: string[],
  id: string,
  nowMs: number,
  body: string,
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatureHeader(secrets, id, timestamp, body),
  };
}
