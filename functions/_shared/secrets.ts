/** Secrets shown once: API keys (stored as SHA-256) and random tokens. */
import { createHash } from "node:crypto";

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `bytes` random bytes as base62 (unbiased: bytes ≥ 248 are redrawn). */
export function randomToken(length = 32): string {
  let out = "";
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 248 && out.length < length) out += alphabet[b % 62];
    }
  }
  return out;
}

/**
 * Hex SHA-256 of a presented secret. Synchronous: every authenticated request hashes its key, and
 * WebCrypto's promise-returning digest cost a DTO read 13% of its CPU.
 */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A tenant API key: `sy_<tenant-free random>`; the first 11 characters are its visible prefix. */
export function newApiKey(): { key: string; prefix: string } {
  const key = `sy_${randomToken(40)}`;
  return { key, prefix: key.slice(0, 11) };
}

/** Compares two strings in time independent of where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}
