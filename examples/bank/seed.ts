/**
 * The bank's operational rows: three customers, their accounts and balances, written to the
 * `bank` schema the way the bank's own systems would. Capture triggers turn each write into
 * `customer.*`, `account.*` and `balance.*` events; the DTOs are composed from those.
 */
import type { Sql } from "../../functions/_shared/db.ts";

export const customers = [
  {
    customer_id: "cust-001",
    full_name: "Ana García",
    segment: "retail",
    email: "ana@example.com",
    phone: "+34600111222",
  },
  {
    customer_id: "cust-002",
    full_name: "Bruno Silva",
    segment: "premium",
    email: "bruno@example.com",
    phone: null,
  },
  {
    customer_id: "cust-003",
    full_name: "Chen Wei",
    segment: "business",
    email: null,
    phone: "+34600333444",
  },
];

export const accounts = [
  {
    account_id: "cust-001-eur",
    customer_id: "cust-001",
    product: "checking",
    currency: "EUR",
    available: 1520.35,
    ledger: 1600.0,
  },
  {
    account_id: "cust-001-usd",
    customer_id: "cust-001",
    product: "savings",
    currency: "USD",
    available: 300.0,
    ledger: 300.0,
  },
  {
    account_id: "cust-002-eur",
    customer_id: "cust-002",
    product: "checking",
    currency: "EUR",
    available: 8200.1,
    ledger: 8200.1,
  },
  {
    account_id: "cust-002-sav",
    customer_id: "cust-002",
    product: "savings",
    currency: "EUR",
    available: 25000.0,
    ledger: 25000.0,
  },
  {
    account_id: "cust-002-crd",
    customer_id: "cust-002",
    product: "credit_card",
    currency: "EUR",
    available: -420.5,
    ledger: -380.0,
  },
  {
    account_id: "cust-003-eur",
    customer_id: "cust-003",
    product: "business_checking",
    currency: "EUR",
    available: 40210.0,
    ledger: 41000.0,
  },
];

/** Inserts what is missing; rows already there are left alone, so a second run changes nothing. */
export async function seedBank(sql: Sql, tenant: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`insert into bank.customers ${
      tx(customers.map((c) => ({ tenant_id: tenant, ...c })))
    } on conflict do nothing`;
    await tx`insert into bank.accounts ${
      tx(
        accounts.map(({ available: _a, ledger: _l, ...a }) => ({
          tenant_id: tenant,
          status: "active",
          ...a,
        })),
      )
    }
      on conflict do nothing`;
    await tx`insert into bank.balances ${
      tx(
        accounts.map((a) => ({
          tenant_id: tenant,
          account_id: a.account_id,
          available: a.available,
          ledger: a.ledger,
        })),
      )
    }
      on conflict do nothing`;
  });
}
