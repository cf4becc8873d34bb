/**
 * One schema per kind of value (identifier, tenant slug, timestamp, position…), used by every
 * route and command, and the helpers that turn zod failures into our 400 with every problem listed.
 */
import { z } from "zod";
import { AppError, type ErrorDetail } from "./errors.ts";

// deno-lint-ignore no-control-regex
const controlChars = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `s` cannot be an identifier (stored as text, used in keys and SQL), or null when it can. */
export function identifierProblem(s: string, max: number): string | null {
  if (s.length < 1) return "must not be empty";
  if (s.length > max) return `must be at most ${max} characters`;
  if (controlChars.test(s)) return "must not contain control characters (NUL included)";
  if (!s.isWellFormed()) return "must be well-formed Unicode (no lone surrogates)";
  return null;
}

/** Text that names a thing: 1..max characters, no control characters or NUL, well-formed Unicode. */
export const identifierSchema = (max = 200) =>
  z.string().superRefine((s, ctx) => {
    const problem = identifierProblem(s, max);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** Free text a person wrote (names, reasons): like an identifier but trimmed first. */
export const labelSchema = (max = 200) => z.string().trim().pipe(identifierSchema(max));

/** The tenant slug, as `tenants.slug`'s check constraint has it; the CLI imports it too. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const slugSchema = z.string().regex(
  SLUG_PATTERN,
  "must be 2-63 of a-z, 0-9 and -, starting with a letter or digit",
);

/** An entity type, as `events.entity_type`'s check constraint has it. */
export const entityTypePattern = /^[a-z][a-z0-9_]*$/;
export const entityTypeSchema = z.string().max(100).regex(
  entityTypePattern,
  "must match ^[a-z][a-z0-9_]*$",
);

/** A JSON object (not an array, not null). */
export const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `{type, id}` with exactly those keys, as `events` stores an entity; null on anything else. For the
 * fast paths in front of zod, which then decides and words the errors.
 */
export function validEntity(v: unknown): { type: string; id: string } | null {
  if (!isJsonObject(v)) return null;
  let keys = 0;
  for (const k in v) {
    if (k !== "type" && k !== "id") return null;
    keys++;
  }
  const { type, id } = v;
  if (
    keys !== 2 || typeof type !== "string" || type.length > 100 || !entityTypePattern.test(type) ||
    typeof id !== "string" || identifierProblem(id, 200) !== null
  ) return null;
  return { type, id };
}

/** Ids we hand out (`key_…`, `ep_…`, `dlv_…`, uuids): word characters and dashes only. */
export const idSchema = z.string().regex(/^[\w-]{1,100}$/, "must be an id");

/** `integer` columns (entity versions): what Postgres's int4 holds. */
export const INT4_MAX = 2_147_483_647;
export const int4Schema = z.number().int().min(0).max(INT4_MAX);
/** `bigint` positions we hand to JavaScript (sequence numbers): exact as a JS number. */
export const seqSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The instants a timestamp may name: four-digit years, which Postgres stores and JS prints alike. */
const MIN_INSTANT = Date.parse("0001-01-01T00:00:00Z");
const MAX_INSTANT = Date.parse("9999-12-31T23:59:59.999Z");
const isoShape = z.iso.datetime({
  offset: true,
  message: "must be an ISO-8601 date-time with a zone, e.g. 2026-11-24T10:30:00Z",
});

/** Why an ISO-8601 date-time (zod has checked its shape and calendar) is out of the stored range. */
export function instantProblem(s: string): string | null {
  const ms = Date.parse(s);
  if (ms >= MIN_INSTANT && ms <= MAX_INSTANT) return null;
  return "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z";
}

/** An ISO-8601 UTC instant as the API takes it, normalized to `toISOString()` form. */
export const timestampSchema = isoShape.superRefine((s, ctx) => {
  const problem = instantProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}).transform((s) => new Date(s).toISOString());

/**
 * A number in the body that JavaScript cannot hold as sent (1e400, 12345678901234567890):
 * `parseExactJson` puts one in its place so that validation names the field.
 */
export class InexactNumber {
  constructor(readonly source: string) {}
}

// Number tokens of 16+ digits or with an exponent: the only ones that can change on parsing (a
// decimal of at most 15 significant digits always survives a double). Strings may match too: that
// only costs the exact path.
const mayBeInexact = /[:,[]\s*-?[\d.]{16}|[:,[]\s*-?[\d.]+[eE]/;

/** The decimal value of a JSON number's text, normalized (`1.50e2` and `150` give the same). */
function decimalKey(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return text;
  const fraction = m[3] ?? "";
  let digits = (m[2] + fraction).replace(/^0+/, "");
  let exponent = Number(m[4] ?? 0) - fraction.length;
  const trimmed = digits.replace(/0+$/, "");
  exponent += digits.length - trimmed.length;
  digits = trimmed;
  return digits === "" ? "0" : `${m[1]}${digits}e${exponent}`;
}

/**
 * JSON.parse, except that a number which would not be stored as sent (non-finite, or its decimal
 * value changed by parsing) becomes an `InexactNumber`, which `jsonProblem` refuses.
 */
export function parseExactJson(text: string): unknown {
  return mayBeInexact.test(text) ? parseMarkingInexact(text) : JSON.parse(text);
}

function parseMarkingInexact(text: string): unknown {
  return JSON.parse(text, (_key, value, context?: { source?: string }) => {
    if (typeof value !== "number" || context?.source === undefined) return value;
    const exact = Number.isFinite(value) &&
      decimalKey(context.source) === decimalKey(String(value));
    return exact ? value : new InexactNumber(context.source);
  });
}

export interface JsonProblem {
  path: (string | number)[];
  message: string;
}

/** Why a JSON value cannot be stored as jsonb as sent, and where inside it; null when it can. */
export function jsonProblem(value: unknown, maxDepth: number): JsonProblem | null {
  const found = problemAt(value, 0, maxDepth);
  if (found) found.path.reverse();
  return found;
}

type Problem = JsonProblem; // built innermost first, reversed once in jsonProblem

function problemAt(value: unknown, depth: number, maxDepth: number): Problem | null {
  if (typeof value === "string") return stringProblem(value);
  if (typeof value === "number") {
    return Number.isFinite(value) ? null : { path: [], message: "numbers must be finite" };
  }
  if (value === null || typeof value !== "object") return null;
  if (value instanceof InexactNumber) {
    return {
      path: [],
      message: `the number ${
        value.source.slice(0, 40)
      } cannot be stored as sent (out of range or too many digits); send it as a string`,
    };
  }
  if (depth >= maxDepth) return { path: [], message: `nesting is deeper than ${maxDepth} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = problemAt(value[i], depth + 1, maxDepth);
      if (p) return (p.path.push(i), p);
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const p = stringProblem(k) ?? problemAt(v, depth + 1, maxDepth);
    if (p) return (p.path.push(k), p);
  }
  return null;
}

function stringProblem(s: string): Problem | null {
  if (s.includes("\u0000")) return { path: [], message: "strings must not contain NUL (\\u0000)" };
  if (!s.isWellFormed()) {
    return { path: [], message: "strings must be well-formed Unicode (no lone surrogates)" };
  }
  return null;
}

// Only escapes make NUL or lone surrogates (raw ones are invalid JSON or invalid UTF-8).
const mayBeUnstorable = /\\u0000|\\u[dD][89a-fA-F]/;
/** Generic bodies nest far less than this; it bounds the walk, not what people send. */
const BODY_MAX_DEPTH = 256;

/**
 * Parses a request body whose strings and numbers must reach the database as sent: a 400 naming
 * the place of the first NUL, lone surrogate or inexact number. Bodies without a suspicious
 * escape or number token (nearly all) are not walked.
 */
export function parseStorableJson(text: string): unknown {
  // One scan for suspicious numbers (a 500-event hand-over is 0.5 ms of it), not one per question.
  const inexact = mayBeInexact.test(text);
  const value = inexact ? parseMarkingInexact(text) : JSON.parse(text);
  if (!inexact && !mayBeUnstorable.test(text)) return value;
  const problem = jsonProblem(value, BODY_MAX_DEPTH);
  if (!problem) return value;
  throw new AppError("validation_failed", "the body holds a value that cannot be stored as sent", [
    { path: problem.path.join(".") || "(body)", message: problem.message },
  ]);
}

export function issuesToDetails(
  issues: z.core.$ZodIssue[],
  prefix: (string | number)[] = [],
): ErrorDetail[] {
  return issues.map((i) => {
    const path = [...prefix, ...i.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
    return { path: path.join(".") || "(body)", message: i.message };
  });
}

/** Parses `input` or throws a 400 listing every problem. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = "request",
): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new AppError("validation_failed", `invalid ${what}`, issuesToDetails(parsed.error.issues));
}
