/**
 * The admin API as the examples use it (`${SUPABASE_URL}/functions/v1/admin`, service key): tenants
 * and endpoints set up idempotently, so `npm start -- --example …` can run again and again.
 */
import type { z } from "zod";
import type { endpointInputSchema } from "../../functions/_shared/delivery/endpoint-schema.ts";

export type EndpointSetup = z.input<typeof endpointInputSchema> & { name: string };

interface ExistingEndpoint {
  id: string;
  name: string | null;
  kind: string;
  url: string | null;
  events: string[];
  transform: unknown;
  credentialsType: string | null;
  retrySchedule: number[];
  timeoutMs: number;
  chats: string[];
  enabled: boolean;
}

export type AdminApi = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function adminApi(
  env: { SUPABASE_URL: string; SUPABASE_SERVICE_ROLE_KEY: string },
): AdminApi {
  const base = `${env.SUPABASE_URL.replace(/\/+$/, "")}/functions/v1/admin`;
  return async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new AdminError(
        res.status,
        `admin ${method} ${path}: HTTP ${res.status} ${text.slice(0, 500)}`,
      );
    }
    return JSON.parse(text) as T;
  };
}

class AdminError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "AdminError";
  }
}

/** Creates the tenant unless it exists. */
export async function ensureTenant(api: AdminApi, slug: string, name: string): Promise<void> {
  try {
    await api("POST", "/tenants", { slug, name });
  } catch (err) {
    if (!(err instanceof AdminError && err.status === 409)) throw err;
  }
}

/**
 * The tenant's endpoint called `setup.name`, as `setup` describes it: reused when it already matches
 * (with a fresh signing secret, since a secret is shown only once), else replaced by a new one.
 */
export async function ensureEndpoint(
  api: AdminApi,
  setup: EndpointSetup,
): Promise<{ id: string; secret: string }> {
  const { items } = await api<{ items: ExistingEndpoint[] }>(
    "GET",
    `/endpoints?tenant=${encodeURIComponent(setup.tenant)}`,
  );
  const existing = items.find((e) => e.name === setup.name && e.enabled);
  if (existing && matches(existing, setup)) {
    return await api<{ id: string; secret: string }>(
      "POST",
      `/endpoints/${existing.id}/rotate-secret`,
      { overlapSeconds: 0 },
    );
  }
  if (existing) {
    await api("POST", `/endpoints/${existing.id}/disable`, {
      reason: "replaced by a new set-up of the example",
    });
  }
  return await api<{ id: string; secret: string }>("POST", "/endpoints", setup);
}

function matches(e: ExistingEndpoint, s: EndpointSetup): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return e.kind === (s.kind ?? "webhook") && same(e.url, s.url) && same(e.events, s.events) &&
    same(e.transform, s.transform) && same(e.credentialsType, s.credentials?.type) &&
    (!s.retrySchedule || same(e.retrySchedule, s.retrySchedule)) &&
    (!s.timeoutMs || e.timeoutMs === s.timeoutMs) &&
    same(e.chats, s.chats ?? []);
}
