/**
 * Secrets at rest (endpoint signing secrets and credentials): AES-GCM under
 * SWITCHYARD_ENCRYPTION_KEY, bound to the row they belong to, so a sealed value copied to another
 * row does not open. Format `v1.<iv>.<ciphertext>`, both base64.
 */
import { AppError } from "./errors.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";

const keys = new Map<string, Promise<CryptoKey>>();
function aesKey(keyBase64: string): Promise<CryptoKey> {
  let key = keys.get(keyBase64);
  if (!key) {
    key = crypto.subtle.importKey("raw", decodeBase64(keyBase64), "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    keys.set(keyBase64, key);
  }
  return key;
}

export async function seal(
  keyBase64: string | undefined,
  boundTo: string,
  plaintext: string,
): Promise<string> {
  if (!keyBase64) {
    throw new AppError(
      "unavailable",
      "secrets cannot be stored: SWITCHYARD_ENCRYPTION_KEY is not configured",
    );
  }
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(boundTo) },
    await aesKey(keyBase64),
    new TextEncoder().encode(plaintext),
  );
  return `v1.${encodeBase64(iv)}.${encodeBase64(new Uint8Array(sealed))}`;
}

const opened = new Map<string, Promise<string>>();

/** Opens a sealed value (cached per ciphertext: the delivery worker needs them on every send). */
export function open(
  keyBase64: string | undefined,
  boundTo: string,
  sealed: string,
): Promise<string> {
  const cacheKey = `${boundTo}|${sealed}`;
  let result = opened.get(cacheKey);
  if (!result) {
    result = (async () => {
      if (!keyBase64) {
        throw new Error("SWITCHYARD_ENCRYPTION_KEY is not configured; cannot open stored secrets");
      }
      const [version, iv, data] = sealed.split(".");
      if (version !== "v1" || !iv || !data) throw new Error("unknown sealed format");
      const plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: decodeBase64(iv),
          additionalData: new TextEncoder().encode(boundTo),
        },
        await aesKey(keyBase64),
        decodeBase64(data),
      );
      return new TextDecoder().decode(plain);
    })();
    if (opened.size > 10_000) opened.clear();
    opened.set(cacheKey, result);
    result.catch(() => opened.delete(cacheKey));
  }
  return result;
}
