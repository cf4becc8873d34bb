/**
 * Portal links and sessions. A link (`spl_…`, shown once, stored as SHA-256) is scoped to one
 * tenant, expires and can be revoked; the page exchanges it on load for a session token
 * (`sps_…`, also stored hashed) that lives at most SESSION_TTL_MS and never past its link. Every
 * request checks the session, its link and the tenant in one query, so a revocation or a disabled
 * tenant stops the portal at once.
 */
import type { Sql } from "../db.ts";
import { AppError } from "../errors.ts";
import { randomToken, sha256Hex } from "../secrets.ts";
import { getTenant } from "../tenants.ts";

/** A session is short-lived: a reload within it needs no link, after it the link must be opened again. */
export const SESSION_TTL_MS = 60 * 60_000;
/** Default and longest life of a link. */
export const DEFAULT_LINK_TTL_S = 3_600;
export const MAX_LINK_TTL_S = 30 * 86_400;

export interface PortalLink {
  id: string;
  tenant: string;
  readOnly: boolean;
  note: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface PortalSession {
  linkId: string;
  tenant: string;
  tenantName: string;
  readOnly: boolean;
  expiresAt: string;
}

const ts = (col: string) => `to_char(${col} at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const linkCols = `id, tenant, read_only as "readOnly", note, ${ts("created_at")} as "createdAt",
  ${ts("expires_at")} as "expiresAt", ${ts("revoked_at")} as "revokedAt", ${
  ts("last_used_at")
} as "lastUsedAt"`;

/** Creates a link; the token is returned here and never again. */
export async function createPortalLink(
  sql: Sql,
  opts: { tenant: string; expiresInSeconds: number; readOnly: boolean; note?: string },
): Promise<PortalLink & { token: string }> {
  await getTenant(sql, opts.tenant);
  const token = `spl_${randomToken(40)}`;
  const [row] = await sql<PortalLink[]>`
    insert into switchyard.portal_links (tenant, token_hash, read_only, note, expires_at)
    values (${opts.tenant}, ${sha256Hex(token)}, ${opts.readOnly}, ${opts.note ?? null},
      now() + make_interval(secs => ${opts.expiresInSeconds}))
    returning ${sql.unsafe(linkCols)}`;
  return { ...row, token };
}

export function listPortalLinks(sql: Sql, tenant: string): Promise<PortalLink[]> {
  return sql<PortalLink[]>`
    select ${sql.unsafe(linkCols)} from switchyard.portal_links
    where tenant = ${tenant} order by created_at desc, id`;
}

/** Revokes a link and ends its sessions; revoking twice keeps the first time. */
export async function revokePortalLink(sql: Sql, id: string): Promise<PortalLink> {
  const [row] = await sql<PortalLink[]>`
    with revoked as (
      update switchyard.portal_links set revoked_at = coalesce(revoked_at, now())
      where id = ${id} returning *
    ), ended as (
      delete from switchyard.portal_sessions s using revoked r where s.link_id = r.id
    )
    select ${sql.unsafe(linkCols)} from revoked`;
  if (!row) throw new AppError("not_found", `portal link ${id} not found`);
  return row;
}

const refused = () =>
  new AppError(
    "unauthorized",
    "this portal link is invalid, expired or revoked; ask for a new one",
  );

/** Swaps a link's token for a new session token; the link's expired sessions are pruned meanwhile. */
export async function openPortalSession(
  sql: Sql,
  linkToken: string,
): Promise<PortalSession & { session: string }> {
  const session = `sps_${randomToken(40)}`;
  const [row] = await sql<PortalSession[]>`
    with link as (
      update switchyard.portal_links l set last_used_at = now()
      from switchyard.tenants t
      where l.token_hash = ${sha256Hex(linkToken)} and l.revoked_at is null
        and l.expires_at > now() and t.slug = l.tenant and t.status = 'active'
      returning l.id, l.tenant, t.name, l.read_only, l.expires_at
    ), pruned as (
      delete from switchyard.portal_sessions s using link where s.link_id = link.id and s.expires_at <= now()
    ), opened as (
      insert into switchyard.portal_sessions (token_hash, link_id, expires_at)
      select ${sha256Hex(session)}, link.id,
        least(link.expires_at, now() + make_interval(secs => ${SESSION_TTL_MS / 1000}))
      from link
      returning expires_at
    )
    select link.id as "linkId", link.tenant, link.name as "tenantName", link.read_only as "readOnly",
      ${sql.unsafe(ts("opened.expires_at"))} as "expiresAt"
    from link, opened`;
  if (!row) throw refused();
  return { ...row, session };
}

/** The session a token stands for: 401 when unknown, expired, revoked or its tenant is disabled. */
export async function portalSession(sql: Sql, sessionToken: string): Promise<PortalSession> {
  const [row] = await sql<PortalSession[]>`
    select l.id as "linkId", l.tenant, t.name as "tenantName", l.read_only as "readOnly",
      ${sql.unsafe(ts("least(s.expires_at, l.expires_at)"))} as "expiresAt"
    from switchyard.portal_sessions s
    join switchyard.portal_links l on l.id = s.link_id
    join switchyard.tenants t on t.slug = l.tenant
    where s.token_hash = ${sha256Hex(sessionToken)} and s.expires_at > now()
      and l.expires_at > now() and l.revoked_at is null and t.status = 'active'`;
  if (!row) throw refused();
  return row;
}
