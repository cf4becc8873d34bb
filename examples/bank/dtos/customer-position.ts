/**
 * `customer_position`: a customer's accounts with product, currency, status and balances, totals
 * per currency, and `asOf` (the latest balance change it reflects). Keyed by customer_id.
 */
import type { LoggedEvent } from "../../../functions/_shared/events/envelope.ts";
import {
  accountOwners,
  accountRow,
  balanceOwners,
  balanceRow,
  cents,
  countCustomers,
  customerRow,
  customerSource,
  listCustomers,
  rowAfter,
} from "../rows.ts";
import { defineDto } from "../../../functions/_shared/dtos/types.ts";
import { z } from "zod";

export interface PositionAccount {
  accountId: string;
  product: string;
  currency: string;
  status: string;
  available: number | null;
  ledger: number | null;
  balanceUpdatedAt: string | null;
}

export interface CustomerPosition {
  [k: string]: unknown;
  customerId: string;
  accounts: PositionAccount[];
  totals: Record<string, { available: number; ledger: number }>;
  asOf: string | null;
}

/** Sorted accounts, totals and asOf recomputed from the accounts: the one shape both paths produce. */
function position(customerId: string, accounts: PositionAccount[]): CustomerPosition {
  const sorted = [...accounts].sort((
    a,
    b,
  ) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  const totals: CustomerPosition["totals"] = {};
  let asOf: string | null = null;
  for (const a of sorted) {
    if (a.available === null || a.ledger === null) continue;
    const t = totals[a.currency] ??= { available: 0, ledger: 0 };
    t.available = cents(t.available + a.available);
    t.ledger = cents(t.ledger + a.ledger);
    if (a.balanceUpdatedAt && (!asOf || a.balanceUpdatedAt > asOf)) asOf = a.balanceUpdatedAt;
  }
  return { customerId, accounts: sorted, totals, asOf };
}

function reduce(
  state: CustomerPosition | null,
  event: LoggedEvent,
  key: string,
): CustomerPosition | null {
  const [entity] = event.type.split(".");
  if (entity === "customer") {
    const row = rowAfter(event, customerRow);
    return row ? (state ?? position(key, [])) : null;
  }
  if (!state) throw new Error(`${event.type} ${event.id} arrived before customer ${key} exists`);
  const accounts = new Map(state.accounts.map((a) => [a.accountId, a]));
  if (entity === "account") {
    const row = rowAfter(event, accountRow);
    if (!row || row.customer_id !== key) accounts.delete(event.entity.id);
    else {
      const had = accounts.get(row.account_id);
      accounts.set(row.account_id, {
        accountId: row.account_id,
        product: row.product,
        currency: row.currency,
        status: row.status,
        available: had?.available ?? null,
        ledger: had?.ledger ?? null,
        balanceUpdatedAt: had?.balanceUpdatedAt ?? null,
      });
    }
  } else if (entity === "balance") {
    const account = accounts.get(event.entity.id);
    if (!account) throw new Error(`balance of account ${event.entity.id} not in ${key}'s position`);
    const row = rowAfter(event, balanceRow);
    accounts.set(account.accountId, {
      ...account,
      available: row?.available ?? null,
      ledger: row?.ledger ?? null,
      balanceUpdatedAt: row?.updated_at ?? null,
    });
  } else {
    throw new Error(`customer_position does not apply ${event.type}`);
  }
  return position(key, [...accounts.values()]);
}

const sourceRows = z.object({
  customer: customerRow,
  accounts: z.array(accountRow.extend({ balance: balanceRow.nullable() })),
});

export default defineDto<CustomerPosition>({
  name: "customer_position",
  entityType: "customer",
  sources: ["customer.created", "customer.updated", "customer.deleted", "account.*", "balance.*"],
  lookup: balanceOwners,
  keysOf(event, owners) {
    if (event.entity.type === "customer") return [event.entity.id];
    if (event.entity.type === "account") return accountOwners(event);
    const owner = owners.get(event.entity.id);
    return owner ? [owner] : [];
  },
  reduce,
  sourceQuery: (sql, tenant, keys) =>
    customerSource(
      sql,
      tenant,
      keys,
      sql`
      select jsonb_agg(to_jsonb(a) || jsonb_build_object('balance', to_jsonb(b)) order by a.account_id) as list,
        array_agg('account:' || a.account_id) || array_agg('balance:' || a.account_id) as refs
      from bank.accounts a
      left join bank.balances b on b.tenant_id = a.tenant_id and b.account_id = a.account_id
      where a.tenant_id = c.tenant_id and a.customer_id = c.customer_id`,
    ),
  fromSource(rows, key) {
    const src = sourceRows.parse(rows);
    return position(
      key,
      src.accounts.map((a) => ({
        accountId: a.account_id,
        product: a.product,
        currency: a.currency,
        status: a.status,
        available: a.balance?.available ?? null,
        ledger: a.balance?.ledger ?? null,
        balanceUpdatedAt: a.balance?.updated_at ?? null,
      })),
    );
  },
  listKeys: listCustomers,
  countKeys: countCustomers,
});
