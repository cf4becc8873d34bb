/** Flags that several commands share, validated here so a typo is a usage error (exit 2) with a clear message. */
import { readFileSync } from "node:fs";
import { Args, Flags } from "@oclif/core";
import { UsageError } from "./errors.ts";
import { patternSchema } from "../../functions/_shared/events/patterns.ts";
import { SLUG_PATTERN } from "../../functions/_shared/validation.ts";

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function slug(value: string, what = "tenant"): string {
  if (!SLUG_PATTERN.test(value)) {
    throw new UsageError(
      `${what} "${value}" is not a slug: 2-63 of a-z, 0-9 and -, starting with a letter or digit`,
    );
  }
  return value;
}

export function pattern(value: string): string {
  if (!patternSchema.safeParse(value).success) {
    throw new UsageError(
      `"${value}" is not an event type or pattern (e.g. order.confirmed, order.*, *)`,
    );
  }
  return value;
}

function parseUrl(value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new UsageError(`"${value}" is not a URL (e.g. https://example.com/hooks)`);
  }
}

export function httpUrl(value: string, alsoAllowed = ""): string {
  const url = parseUrl(value);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`"${value}" must be an http or https URL${alsoAllowed}`);
  }
  return url.toString();
}

/** The schemes of the broker endpoint kinds (the server checks the rest of the URL). */
export const BROKER_SCHEMES: Record<string, string[]> = {
  amqp: ["amqp:", "amqps:"],
  nats: ["nats:", "tls:"],
  mqtt: ["mqtt:", "mqtts:"],
};

/** An endpoint's target: http(s), or a broker URL for --kind amqp, nats or mqtt. */
export function endpointUrl(value: string): string {
  if (Object.values(BROKER_SCHEMES).flat().includes(parseUrl(value).protocol)) return value;
  return httpUrl(value, " (amqp://, nats://, mqtt:// for broker kinds)");
}

export function durationMs(value: string): number {
  const m = DURATION.exec(value.trim());
  if (!m) throw new UsageError(`"${value}" is not a duration (e.g. 500ms, 2s, 5m, 1h, 7d)`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** An ISO-8601 time, or a duration meaning that long ago (`15m`, `2h`, `7d`). */
export function isoTime(value: string, now = Date.now()): string {
  if (DURATION.test(value)) return new Date(now - durationMs(value)).toISOString();
  const ms = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)
    ? Date.parse(value)
    : NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `"${value}" is not an ISO-8601 time (e.g. 2026-11-24T10:00:00Z) or a duration ago (e.g. 2h)`,
    );
  }
  return new Date(ms).toISOString();
}

export function jsonObject(value: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(`${what} must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(
      `cannot read ${what} ${path}: ${
        (err as NodeJS.ErrnoException).code ?? (err as Error).message
      }`,
    );
  }
}

export const tenant = Flags.custom<string>({
  description: "tenant slug",
  helpValue: "<slug>",
  parse: async (v) => slug(v),
});

export const time = Flags.custom<string>({
  helpValue: "<time>",
  parse: async (v) => isoTime(v),
});

export const eventPattern = Flags.custom<string>({
  description: "event type or pattern, e.g. order.*",
  helpValue: "<pattern>",
  parse: async (v) => pattern(v),
});

export const limit = Flags.integer({ description: "at most this many rows", min: 1, max: 1000 });

export const json = Flags.custom<Record<string, unknown>>({
  helpValue: "<json>",
  parse: async (v, _ctx, opts) => jsonObject(v, `--${opts.name}`),
});

/** A JSON file of an endpoint's templates (body, method, envelope, query, text), read when parsed. */
export const transformFile = Flags.custom<Record<string, unknown>>({
  helpValue: "<file>",
  parse: async (v) => jsonObject(readText(v, "--transform file"), `--transform file ${v}`),
});

export const duration = Flags.custom<number>({
  description: "e.g. 500ms, 2s, 5m",
  helpValue: "<duration>",
  parse: async (v) => durationMs(v),
});

export const durations = Flags.custom<number[]>({
  helpValue: "<durations>",
  parse: async (v) => v.split(",").map((d) => durationMs(d)),
});

export const patterns = Flags.custom<string[]>({
  helpValue: "<patterns>",
  parse: async (v) => v.split(",").map((p) => pattern(p.trim())),
});

export const url = Flags.custom<string>({
  helpValue: "<url>",
  parse: async (v) => httpUrl(v),
});

export const targetUrl = Flags.custom<string>({
  helpValue: "<url>",
  parse: async (v) => endpointUrl(v),
});

export function dtoType(value: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(value)) {
    throw new UsageError(`"${value}" is not a DTO type name (e.g. CustomerPosition)`);
  }
  return value;
}

export const tenantArg = Args.custom<string>({
  description: "tenant slug",
  parse: async (v) => slug(v),
});

/** An id the admin API gave out (endpoint, delivery, key). */
export const idArg = Args.custom<string>({});
