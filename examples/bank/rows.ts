/**
 * The bank's rows as capture events carry them (`data.new` / `data.old` are `to_jsonb` of the row)
 * and as its DTOs' source queries return them: one parser for both, so composed and
 * source-computed DTOs come out identical. Shared by the files in dtos/.
 */
import { z } from "zod";
import type postgres from "postgres";
import type { Queryable } from "../../functions/_shared/db.ts";
import type { LoggedEvent } from "../../functions/_shared/events/envelope.ts";
import type { KeyLookup } from "../../functions/_shared/dtos/types.ts";

const money = z.union([z.number(), z.string()]).transform((v) => Number(v)).pipe(
  z.number().finite(),
);
const timestamp = z.string().transform((v, c) => {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) {
    c.addIssue({ code: "custom", message: "not a timestamp" });
    return z.NEVER;
  }
  return d.toISOString();
});

export const customerRow = z.object({
  customer_id: z.string(),
  full_name: z.string(),
  segment: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
});
export const accountRow = z.object({
  account_id: z.string(),
  customer_id: z.string(),
  product: z.string(),
  currency: z.string(),
  status: z.string(),
});
export const balanceRow = z.object({
  account_id: z.string(),
  available: money,
  ledger: money,
  updated_at: timestamp,
});
export type CustomerRow = z.infer<typeof customerRow>;
export type AccountRow = z.infer<typeof accountRow>;
export type BalanceRow = z.infer<typeof balanceRow>;

const capture = z.object({
  new: z.record(z.string(), z.unknown()).optional(),
  old: z.record(z.string(), z.unknown()).optional(),
});

/** The row after the change (null when deleted); throws when the event is not a capture of `schema`. */
export function rowAfter<T extends z.ZodType>(event: LoggedEvent, schema: T): z.infer<T> | null {
  const data = capture.parse(event.data);
  if (event.type.endsWith(".deleted")) return null;
  if (!data.new) throw new Error(`${event.type} ${event.id} carries no data.new`);
  return schema.parse(data.new);
}

/** The customer an account event names, after and before the change. */
export function accountOwners(event: LoggedEvent): string[] {
  const data = event.data as { new?: { customer_id?: unknown }; old?: { customer_id?: unknown } };
  const ids = [data.new?.customer_id, data.old?.customer_id].filter((v): v is string =>
    typeof v === "string"
  );
  return [...new Set(ids)];
}

/**
 * Balance events name only their account. Owners come from account events earlier in the batch,
 * else from `bank.accounts` in one query; a balance whose account is gone keys nowhere (the
 * account's own deletion already removed it from the customer's DTO).
 */
export async function balanceOwners(
  sql: Queryable,
  tenant: string,
  events: LoggedEvent[],
): Promise<KeyLookup> {
  const owners = new Map<string, string>();
  const unknown = new Set<string>();
  for (const e of events) {
    if (e.entity.type === "account") {
      const data = e.data as { new?: { customer_id?: string }; old?: { customer_id?: string } };
      const owner = data.new?.customer_id ?? data.old?.customer_id;
      if (owner) owners.set(e.entity.id, owner);
    } else if (e.entity.type === "balance" && !owners.has(e.entity.id)) {
      unknown.add(e.entity.id);
    }
  }
  const missing = [...unknown].filter((id) => !owners.has(id));
  if (missing.length > 0) {
    const rows = await sql<{ account_id: string; customer_id: string }[]>`
      select account_id, customer_id from bank.accounts where tenant_id = ${tenant} and account_id = any(${missing})`;
    for (const r of rows) owners.set(r.account_id, r.customer_id);
  }
  return owners;
}

/**
 * The shape of a customer-keyed source query: the customer row and `accounts`, a lateral subquery
 * over `c` answering `list` (jsonb array) and `refs` (the source entities it read).
 */
export function customerSource(
  sql: Queryable,
  tenant: string,
  keys: string[],
  accounts: postgres.PendingQuery<postgres.Row[]>,
) {
  return sql`
    select c.customer_id as key,
      jsonb_build_object('customer', to_jsonb(c), 'accounts', coalesce(acc.list, '[]'::jsonb)) as rows,
      array['customer:' || c.customer_id] || coalesce(acc.refs, '{}') as refs
    from bank.customers c
    left join lateral (${accounts}) acc on true
    where c.tenant_id = ${tenant} and c.customer_id = any(${keys})`;
}

/** Customers in key order after `after`: every DTO keyed by customer walks these on rebuild. */
export async function listCustomers(
  sql: Queryable,
  tenant: string,
  after: string | null,
  limit: number,
): Promise<string[]> {
  const rows = await sql<{ customer_id: string }[]>`
    select customer_id from bank.customers
    where tenant_id = ${tenant} and (${after}::text is null or customer_id > ${after})
    order by customer_id limit ${limit}`;
  return rows.map((r) => r.customer_id);
}

export async function countCustomers(sql: Queryable, tenant: string): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`select count(*)::int as n from bank.customers where tenant_id = ${tenant}`;
  return row.n;
}

/** Two decimals, as `numeric(18, 2)` sums them. */
export function cents(n: number): number {
  return Math.round(n * 100) / 100;
}
