/** `customer_profile`: name, segment, contact points and the products the customer holds. Keyed by customer_id. */
import type { LoggedEvent } from "../../../functions/_shared/events/envelope.ts";
import {
  accountOwners,
  accountRow,
  countCustomers,
  type CustomerRow,
  customerRow,
  customerSource,
  listCustomers,
  rowAfter,
} from "../rows.ts";
import { defineDto } from "../../../functions/_shared/dtos/types.ts";
import { z } from "zod";

export interface Holding {
  accountId: string;
  product: string;
  status: string;
}

export interface CustomerProfile {
  [k: string]: unknown;
  customerId: string;
  fullName: string;
  segment: string;
  contactPoints: { type: "email" | "phone"; value: string }[];
  /** Distinct products of the accounts that are not closed. */
  products: string[];
  holdings: Holding[];
}

function profile(customer: CustomerRow, holdings: Holding[]): CustomerProfile {
  const sorted = [...holdings].sort((
    a,
    b,
  ) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  const contactPoints: CustomerProfile["contactPoints"] = [];
  if (customer.email) contactPoints.push({ type: "email", value: customer.email });
  if (customer.phone) contactPoints.push({ type: "phone", value: customer.phone });
  return {
    customerId: customer.customer_id,
    fullName: customer.full_name,
    segment: customer.segment,
    contactPoints,
    products: [...new Set(sorted.filter((h) => h.status !== "closed").map((h) => h.product))]
      .sort(),
    holdings: sorted,
  };
}

function reduce(
  state: CustomerProfile | null,
  event: LoggedEvent,
  key: string,
): CustomerProfile | null {
  if (event.entity.type === "customer") {
    const row = rowAfter(event, customerRow);
    return row ? profile(row, state?.holdings ?? []) : null;
  }
  if (!state) throw new Error(`${event.type} ${event.id} arrived before customer ${key} exists`);
  const holdings = new Map(state.holdings.map((h) => [h.accountId, h]));
  const row = rowAfter(event, accountRow);
  if (!row || row.customer_id !== key) holdings.delete(event.entity.id);
  else {holdings.set(row.account_id, {
      accountId: row.account_id,
      product: row.product,
      status: row.status,
    });}
  const customer = {
    customer_id: state.customerId,
    full_name: state.fullName,
    segment: state.segment,
    email: state.contactPoints.find((c) => c.type === "email")?.value ?? null,
    phone: state.contactPoints.find((c) => c.type === "phone")?.value ?? null,
  };
  return profile(customer, [...holdings.values()]);
}

const sourceRows = z.object({ customer: customerRow, accounts: z.array(accountRow) });

export default defineDto<CustomerProfile>({
  name: "customer_profile",
  entityType: "customer",
  sources: ["customer.created", "customer.updated", "customer.deleted", "account.*"],
  keysOf: (event) => (event.entity.type === "customer" ? [event.entity.id] : accountOwners(event)),
  reduce,
  sourceQuery: (sql, tenant, keys) =>
    customerSource(
      sql,
      tenant,
      keys,
      sql`
      select jsonb_agg(to_jsonb(a) order by a.account_id) as list, array_agg('account:' || a.account_id) as refs
      from bank.accounts a where a.tenant_id = c.tenant_id and a.customer_id = c.customer_id`,
    ),
  fromSource(rows) {
    const src = sourceRows.parse(rows);
    return profile(
      src.customer,
      src.accounts.map((a) => ({ accountId: a.account_id, product: a.product, status: a.status })),
    );
  },
  listKeys: listCustomers,
  countKeys: countCustomers,
});
