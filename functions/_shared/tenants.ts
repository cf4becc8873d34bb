/** Tenants and their API keys: creation, lookup by key, revocation. */
import type { Sql } from "./db.ts";
import { AppError } from "./errors.ts";
import { newApiKey, sha256Hex } from "./secrets.ts";

export interface Tenant {
  slug: string;
  name: string;
  status: "active" | "disabled";
  createdAt: string;
}

export interface ApiKeyInfo {
  id: string;
  tenant: string;
  prefix: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const tenantCols = (sql: Sql) =>
  sql`slug, name, status, to_char(created_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt"`;

export async function createTenant(sql: Sql, slug: string, name: string): Promise<Tenant> {
  const rows = await sql<Tenant[]>`
    insert into switchyard.tenants (slug, name) values (${slug}, ${name})
    on conflict (slug) do nothing returning ${tenantCols(sql)}`;
  if (!rows[0]) throw new AppError("conflict", `tenant ${slug} already exists`);
  return rows[0];
}

export async function getTenant(sql: Sql, slug: string): Promise<Tenant> {
  const [row] = await sql<Tenant[]>`select ${
    tenantCols(sql)
  } from switchyard.tenants where slug = ${slug}`;
  if (!row) throw new AppError("not_found", `tenant ${slug} not found`);
  return row;
}

export function listTenants(sql: Sql): Promise<Tenant[]> {
  return sql<Tenant[]>`select ${tenantCols(sql)} from switchyard.tenants order by slug`;
}

export async function disableTenant(sql: Sql, slug: string): Promise<Tenant> {
  const [row] = await sql<Tenant[]>`
    update switchyard.tenants set status = 'disabled', disabled_at = coalesce(disabled_at, now())
    where slug = ${slug} returning ${tenantCols(sql)}`;
  if (!row) throw new AppError("not_found", `tenant ${slug} not found`);
  return row;
}

const keyCols = (sql: Sql) =>
  sql`id, tenant, prefix, name,
  to_char(created_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt",
  to_char(last_used_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "lastUsedAt",
  to_char(revoked_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "revokedAt"`;

/** Creates a key; the plain key is returned here and never again. */
export async function createApiKey(
  sql: Sql,
  tenant: string,
  name = "default",
): Promise<ApiKeyInfo & { key: string }> {
  await getTenant(sql, tenant);
  const { key, prefix } = newApiKey();
  const [row] = await sql<ApiKeyInfo[]>`
    insert into switchyard.api_keys (tenant, prefix, hash, name)
    values (${tenant}, ${prefix}, ${sha256Hex(key)}, ${name}) returning ${keyCols(sql)}`;
  return { ...row, key };
}

export function listApiKeys(sql: Sql, tenant: string): Promise<ApiKeyInfo[]> {
  return sql<ApiKeyInfo[]>`select ${
    keyCols(sql)
  } from switchyard.api_keys where tenant = ${tenant} order by created_at`;
}

export async function revokeApiKey(sql: Sql, id: string): Promise<ApiKeyInfo> {
  const [row] = await sql<ApiKeyInfo[]>`
    update switchyard.api_keys set revoked_at = coalesce(revoked_at, now()) where id = ${id} returning ${
    keyCols(sql)
  }`;
  if (!row) throw new AppError("not_found", `API key ${id} not found`);
  return row;
}

/**
 * The tenant a presented key belongs to: 401 for unknown or revoked keys, 403 for a disabled tenant.
 * Called on every request, uncached, so revocation needs no invalidation across instances: one
 * unique-index lookup per request (per batch of events on ingest; no difference the ingest
 * benchmark could tell on a loaded 2-core machine: 1765 vs 1754 events/s over HTTP).
 */
export async function tenantForKey(sql: Sql, key: string): Promise<string> {
  const [row] = await sql<{ tenant: string; status: string; revoked: boolean }[]>`
    select k.tenant, t.status, k.revoked_at is not null as revoked
    from switchyard.api_keys k join switchyard.tenants t on t.slug = k.tenant
    where k.hash = ${sha256Hex(key)}`;
  if (!row || row.revoked) throw new AppError("unauthorized", "invalid API key");
  if (row.status !== "active") throw new AppError("forbidden", `tenant ${row.tenant} is disabled`);
  return row.tenant;
}
