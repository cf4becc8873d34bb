/** One-time link codes and the chats they link: issue, redeem, unlink, list. */
import type { Sql } from "../db.ts";
import type { Clock } from "../clock.ts";
import { getTenant } from "../tenants.ts";
import { randomToken, sha256Hex } from "../secrets.ts";

const LINK_CODE_TTL_MS = 15 * 60_000;
/** Deep links (`t.me/<bot>?start=<code>`) allow up to 64 of A-Z a-z 0-9 _ -. */
const linkCodePattern = /^[A-Za-z0-9_-]{1,64}$/;

export type ChatStatus = "active" | "unlinked" | "blocked";

export interface TelegramChat {
  chatId: string;
  type: string;
  title: string | null;
  username: string | null;
  linkedAt: string;
  status: ChatStatus;
  statusReason: string | null;
}

export interface ChatInfo {
  id: number;
  type: string;
  title?: string;
  username?: string;
  first_name?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function issueLinkCode(
  sql: Sql,
  tenant: string,
  clock: Clock,
): Promise<{ code: string; expiresAt: string }> {
  await getTenant(sql, tenant);
  const code = randomToken(20);
  const now = clock.now();
  const expiresAt = iso(now + LINK_CODE_TTL_MS);
  await sql`insert into switchyard.telegram_link_codes (hash, tenant, created_at, expires_at)
    values (${sha256Hex(code)}, ${tenant}, ${iso(now)}, ${expiresAt})`;
  return { code, expiresAt };
}

export type Redeemed = { ok: true; tenant: string } | {
  ok: false;
  reason: "unknown" | "expired" | "used";
};

/** Redeems a code for `chat` and links it, in one transaction: a code links at most one chat, once. */
export function redeemLinkCode(
  sql: Sql,
  code: string,
  chat: ChatInfo,
  clock: Clock,
): Promise<Redeemed> {
  if (!linkCodePattern.test(code)) return Promise.resolve({ ok: false, reason: "unknown" });
  return sql.begin(async (tx) => {
    const hash = sha256Hex(code);
    const [row] = await tx<{ tenant: string; expired: boolean; used: boolean }[]>`
      select tenant, expires_at <= ${iso(clock.now())} as expired, used_at is not null as used
      from switchyard.telegram_link_codes where hash = ${hash} for update`;
    if (!row) return { ok: false, reason: "unknown" } as const;
    if (row.used) return { ok: false, reason: "used" } as const;
    if (row.expired) return { ok: false, reason: "expired" } as const;
    await tx`update switchyard.telegram_link_codes set used_at = ${
      iso(clock.now())
    }, used_by = ${chat.id}
      where hash = ${hash}`;
    const title = chat.title ?? chat.first_name ?? null;
    await tx`insert into switchyard.telegram_chats (tenant, chat_id, chat_type, title, username, status, linked_at, updated_at)
      values (${row.tenant}, ${chat.id}, ${chat.type}, ${title}, ${
      chat.username ?? null
    }, 'active', now(), now())
      on conflict (tenant, chat_id) do update set chat_type = excluded.chat_type, title = excluded.title,
        username = excluded.username, status = 'active', status_reason = null, linked_at = now(), updated_at = now()`;
    return { ok: true, tenant: row.tenant } as const;
  });
}

const chatCols = (sql: Sql) =>
  sql`chat_id::text as "chatId", chat_type as type, title, username, status,
  status_reason as "statusReason",
  to_char(linked_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "linkedAt"`;

export function listChats(sql: Sql, tenant: string): Promise<TelegramChat[]> {
  return sql<TelegramChat[]>`select ${chatCols(sql)} from switchyard.telegram_chats
    where tenant = ${tenant} order by linked_at, chat_id`;
}

/** The chat ids a tenant's messages go to. */
export async function activeChatIds(sql: Sql, tenant: string): Promise<string[]> {
  const rows = await sql<
    { chatId: string }[]
  >`select chat_id::text as "chatId" from switchyard.telegram_chats
    where tenant = ${tenant} and status = 'active' order by chat_id`;
  return rows.map((r) => r.chatId);
}

/** The tenants a chat is actively linked to. */
export async function tenantsOfChat(sql: Sql, chatId: number): Promise<string[]> {
  const rows = await sql<{ tenant: string }[]>`select tenant from switchyard.telegram_chats
    where chat_id = ${chatId} and status = 'active' order by tenant`;
  return rows.map((r) => r.tenant);
}

/** Ends a chat's links (all its tenants, or one); returns the tenants it was unlinked from. */
export async function unlinkChat(
  sql: Sql,
  chatId: number | string,
  status: Exclude<ChatStatus, "active">,
  reason: string,
  tenant?: string,
): Promise<string[]> {
  if (!/^-?\d{1,20}$/.test(String(chatId))) return [];
  const rows = await sql<{ tenant: string }[]>`update switchyard.telegram_chats
    set status = ${status}, status_reason = ${reason.slice(0, 500)}, updated_at = now()
    where chat_id = ${String(chatId)}::bigint and status = 'active' ${
    tenant ? sql`and tenant = ${tenant}` : sql``
  }
    returning tenant`;
  return rows.map((r) => r.tenant);
}
