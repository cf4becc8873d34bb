/**
 * Endpoint credentials: validated at the edge, stored sealed (sealing.ts), turned into request
 * headers only at send time, never returned.
 */
import { z } from "zod";
import { encodeBase64 } from "../base64.ts";
import { open, seal } from "../sealing.ts";

const headerName = z.string().regex(
  /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/,
  "must be an HTTP header name",
);
const headerValue = z.string().max(4000).regex(/^[^\r\n]*$/, "must be one line");

export const credentialsSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("basic"),
    username: headerValue.min(1).refine((u) => !u.includes(":"), "must not contain ':'"),
    password: headerValue,
  }).strict(),
  z.object({ type: z.literal("bearer"), token: headerValue.min(1) }).strict(),
  z.object({ type: z.literal("header"), name: headerName, value: headerValue }).strict(),
]);
export type Credentials = z.infer<typeof credentialsSchema>;

export const headersSchema = z.record(headerName, headerValue).refine(
  (h) => Object.keys(h).length <= 50,
  "at most 50 headers",
);

/** The headers that carry `credentials`. */
export function credentialHeaders(credentials: Credentials | null): Record<string, string> {
  if (!credentials) return {};
  switch (credentials.type) {
    case "basic": {
      const bytes = new TextEncoder().encode(`${credentials.username}:${credentials.password}`);
      return { authorization: `Basic ${encodeBase64(bytes)}` };
    }
    case "bearer":
      return { authorization: `Bearer ${credentials.token}` };
    case "header":
      return { [credentials.name.toLowerCase()]: credentials.value };
  }
}

/** Sealed with the endpoint id bound, so credentials copied to another endpoint do not open. */
export function encryptCredentials(
  keyBase64: string | undefined,
  endpointId: string,
  credentials: Credentials,
): Promise<string> {
  return seal(keyBase64, endpointId, JSON.stringify(credentials));
}

export async function decryptCredentials(
  keyBase64: string | undefined,
  endpointId: string,
  sealed: string,
): Promise<Credentials> {
  return credentialsSchema.parse(JSON.parse(await open(keyBase64, endpointId, sealed)));
}
