/**
 * Endpoint credentials: validated at the edge, stored encrypted (AES-GCM under
 * SWITCHYARD_ENCRYPTION_KEY), turned into request headers only at send time, never returned.
 */
import { z } from "zod";
import { AppError } from "../errors.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "must be an HTTP header name");
const headerValue = z.string().max(4000).regex(/^[^\r\n]*$/, "must be one line");

export const credentialsSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("basic"), username: headerValue.min(1).refine((u) => !u.includes(":"), "must not contain ':'"), password: headerValue }).strict(),
  z.object({ type: z.literal("bearer"), token: headerValue.min(1) }).strict(),
  z.object({ type: z.literal("header"), name: headerName, value: headerValue }).strict(),
]);
export type Credentials = z.infer<typeof credentialsSchema>;

export const headersSchema = z.record(headerName, headerValue).refine((h) => Object.keys(h).length <= 50, "at most 50 headers");

/** The headers that carry `credentials`. */
export function credentialHeaders(credentials: Credentials | null): Record<string, string> {
  if (!credentials) return {};
  switch (credentials.type) {
    case "basic": {
      const bytes = new TextEncoder().encode(`${credentials.username}:${credentials.password}`);
      return { authorization: `Basic ${encodeBase64(bytes)}` };
    }
    case "bearer": return { authorization: `Bearer ${credentials.token}` };
    case "header": return { [credentials.name.toLowerCase()]: credentials.value };
  }
}

const keys = new Map<string, Promise<CryptoKey>>();
function aesKey(keyBase64: string): Promise<CryptoKey> {
  let key = keys.get(keyBase64);
  if (!key) {
    key = crypto.subtle.importKey("raw", decodeBase64(keyBase64), "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(keyBase64, key);
  }
  return key;
}

/** `v1.<iv>.<ciphertext>`, both base64; the endpoint id is bound as additional data. */
export async function encryptCredentials(keyBase64: string | undefined, endpointId: string, credentials: Credentials): Promise<string> {
  if (!keyBase64) throw new AppError("bad_request", "credentials cannot be stored: SWITCHYARD_ENCRYPTION_KEY is not configured");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(credentials));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(endpointId) }, await aesKey(keyBase64), plain);
  return `v1.${encodeBase64(iv)}.${encodeBase64(new Uint8Array(sealed))}`;
}

const opened = new Map<string, Promise<Credentials>>();

/** Decrypts (cached per ciphertext: the worker needs them on every send). */
export function decryptCredentials(keyBase64: string | undefined, endpointId: string, sealed: string): Promise<Credentials> {
  const cacheKey = `${endpointId}|${sealed}`;
  let result = opened.get(cacheKey);
  if (!result) {
    result = (async () => {
      if (!keyBase64) throw new Error("SWITCHYARD_ENCRYPTION_KEY is not configured; cannot open endpoint credentials");
      const [version, iv, data] = sealed.split(".");
      if (version !== "v1" || !iv || !data) throw new Error("unknown credentials format");
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: decodeBase64(iv), additionalData: new TextEncoder().encode(endpointId) },
        await aesKey(keyBase64),
        decodeBase64(data),
      );
      return credentialsSchema.parse(JSON.parse(new TextDecoder().decode(plain)));
    })();
    if (opened.size > 10_000) opened.clear();
    opened.set(cacheKey, result);
    result.catch(() => opened.delete(cacheKey));
  }
  return result;
}
