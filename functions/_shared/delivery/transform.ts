/**
 * Declarative templates: the body a target wants, made from an event. Pure.
 *
 * - `"{{data.total}}"` alone in a string keeps the value's type; mixed into text it is interpolated.
 * - `"{{data.name | upper}}"` applies a format: upper, lower, trim, string, number, integer,
 *   fixed2, date (YYYY-MM-DD), datetime (ISO), unix (seconds), json, boolean.
 * - `{"$path": "data.items[0].sku", "$format": "upper", "$default": "n/a"}` picks one value.
 * - `{"$const": …}` is taken literally; anything else is copied, recursing into arrays and objects.
 */
import { z } from "zod";
import { getPath, isValidPath } from "./paths.ts";

export const formats = [
  "upper",
  "lower",
  "trim",
  "string",
  "number",
  "integer",
  "fixed2",
  "date",
  "datetime",
  "unix",
  "json",
  "boolean",
] as const;
export type Format = typeof formats[number];

const httpMethods = ["POST", "PUT", "PATCH", "DELETE", "GET"] as const;

/** Per-endpoint transform; which fields apply depends on the endpoint's kind. */
export const transformSchema = z.object({
  /** webhook, rest: the JSON body; without it the event envelope is sent as is. */
  body: z.unknown().optional(),
  /** rest */
  method: z.enum(httpMethods).optional(),
  /** soap: the XML envelope, `{{…}}` placeholders XML-escaped */
  envelope: z.string().max(100_000).optional(),
  soapAction: z.string().max(1000).optional(),
  /** graphql */
  query: z.string().max(100_000).optional(),
  variables: z.unknown().optional(),
  operationName: z.string().max(200).optional(),
  /** telegram: the message text, e.g. "✅ Tu orden {{entity.id}} ha sido confirmada" */
  text: z.string().max(4096).optional(),
  /** telegram: the default templates' language, and templates per event type */
  language: z.enum(["es", "en"]).optional(),
  templates: z.record(z.string().min(1).max(200), z.string().min(1).max(4096)).optional(),
}).strict().superRefine((t, ctx) => {
  for (const problem of templateProblems(t)) ctx.addIssue({ code: "custom", message: problem });
});

export type Transform = z.infer<typeof transformSchema>;

const placeholder = /\{\{\s*([^|}]+?)\s*(?:\|\s*([a-z0-9]+)\s*)?\}\}/g;
const wholePlaceholder = /^\{\{\s*([^|}]+?)\s*(?:\|\s*([a-z0-9]+)\s*)?\}\}$/;

/** Every malformed path or unknown format in a transform, for a 400 at registration. */
export function templateProblems(template: unknown): string[] {
  const problems: string[] = [];
  const checkRef = (path: string, format: string | undefined) => {
    if (!isValidPath(path)) problems.push(`bad path "${path}"`);
    if (format !== undefined && !(formats as readonly string[]).includes(format)) {
      problems.push(`unknown format "${format}"`);
    }
  };
  const walk = (node: unknown) => {
    if (typeof node === "string") {
      for (const m of node.matchAll(placeholder)) checkRef(m[1], m[2]);
    } else if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (node && typeof node === "object") {
      const o = node as Record<string, unknown>;
      if ("$const" in o) return;
      if ("$path" in o) {
        if (typeof o.$path !== "string") problems.push("$path must be a string");
        else checkRef(o.$path, typeof o.$format === "string" ? o.$format : undefined);
        return;
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(template);
  return problems;
}

function applyFormat(value: unknown, format: Format | undefined): unknown {
  if (format === undefined || value === undefined) return value;
  switch (format) {
    case "upper":
      return String(value ?? "").toUpperCase();
    case "lower":
      return String(value ?? "").toLowerCase();
    case "trim":
      return String(value ?? "").trim();
    case "string":
      return typeof value === "object" ? JSON.stringify(value) : String(value);
    case "number":
      return value === null || value === "" ? null : Number(value);
    case "integer":
      return value === null || value === "" ? null : Math.trunc(Number(value));
    case "fixed2":
      return Number(value).toFixed(2);
    case "boolean":
      return value === true || value === "true" || value === 1 || value === "1";
    case "json":
      return JSON.stringify(value);
    case "date":
      return toDate(value)?.toISOString().slice(0, 10) ?? null;
    case "datetime":
      return toDate(value)?.toISOString() ?? null;
    case "unix": {
      const d = toDate(value);
      return d ? Math.floor(d.getTime() / 1000) : null;
    }
  }
}

function toDate(value: unknown): Date | null {
  if (typeof value !== "string" && typeof value !== "number") return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

function lookup(source: unknown, path: string, format?: string): unknown {
  return applyFormat(getPath(source, path.trim()), format as Format | undefined);
}

const asText = (
  v: unknown,
) => (v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

/** Renders a JSON template against `source` (the event envelope). */
export function render(template: unknown, source: unknown): unknown {
  if (typeof template === "string") {
    const whole = wholePlaceholder.exec(template);
    if (whole) return lookup(source, whole[1], whole[2]) ?? null;
    return renderText(template, source);
  }
  if (Array.isArray(template)) return template.map((t) => render(t, source));
  if (template && typeof template === "object") {
    const o = template as Record<string, unknown>;
    if ("$const" in o) return o.$const;
    if (typeof o.$path === "string") {
      const v = lookup(source, o.$path, typeof o.$format === "string" ? o.$format : undefined);
      return v === undefined || v === null ? (o.$default ?? null) : v;
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, render(v, source)]));
  }
  return template;
}

/** Interpolates `{{…}}` placeholders into text; `escape` is applied to each inserted value. */
export function renderText(
  template: string,
  source: unknown,
  escape: (s: string) => string = (s) => s,
): string {
  return template.replace(
    placeholder,
    (_m, path: string, format?: string) => escape(asText(lookup(source, path, format))),
  );
}

export function xmlEscape(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}
