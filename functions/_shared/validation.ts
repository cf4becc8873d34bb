/** Turns zod failures into our 400 with every problem listed. */
import { z } from "zod";
import { AppError, type ErrorDetail } from "./errors.ts";

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

/** Text stored as given: 1..max characters of well-formed Unicode without control characters (NUL). */
export const printableSchema = (max: number) =>
  z.string().min(1).max(max).refine(
    (v) => v.isWellFormed() && !/\p{Cc}/u.test(v),
    "must be printable text (no control characters)",
  );
