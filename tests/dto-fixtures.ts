/** Shared by the DTO tests and bench: the banking example's rows, and a stand-in for the relay. */
import type { Sql } from "../functions/_shared/db.ts";
import type { AppContext } from "../functions/_shared/context.ts";
import {
  envelopeSelect,
  type EventRow,
  type LoggedEvent,
  rowToEvent,
} from "../functions/_shared/events/envelope.ts";
import { composeDtos, type ComposeResult } from "../functions/_shared/dtos/composer.ts";
import { runSource } from "../functions/_shared/dtos/source.ts";
import type { AnyDtoDefinition } from "../functions/_shared/dtos/types.ts";

/** `customers` customers with `accounts` accounts each (EUR and USD alternating), each with a balance. */
export async function seedBank(
  sql: Sql,
  tenant: string,
  opts: { customers?: number; accounts?: number; prefix?: string } = {},
) {
  const n = opts.customers ?? 1;
  const per = opts.accounts ?? 2;
  const p = opts.prefix ?? "c";
  const customers = Array.from({ length: n }, (_, i) => `${p}${i + 1}`);
  await sql`insert into bank.customers ${
    sql(customers.map((id) => ({
      tenant_id: tenant,
      customer_id: id,
      full_name: `Customer ${id}`,
      segment: "retail",
      email: `${id}@example.com`,
      phone: null,
    })))
  }`;
  const accounts = customers.flatMap((c) =>
    Array.from({ length: per }, (_, j) => ({
      tenant_id: tenant,
      account_id: `${c}-a${j + 1}`,
      customer_id: c,
      product: j % 2 ? "savings" : "checking",
      currency: j % 2 ? "USD" : "EUR",
      status: "active",
    }))
  );
  if (accounts.length) {
    await sql`insert into bank.accounts ${sql(accounts)}`;
    await sql`insert into bank.balances ${
      sql(
        accounts.map((a) => ({
          tenant_id: tenant,
          account_id: a.account_id,
          available: 100,
          ledger: 100,
        })),
      )
    }`;
  }
  return { customers, accounts: accounts.map((a) => a.account_id) };
}

export async function loggedEvents(
  sql: Sql,
  tenant: string,
  afterSeq = 0,
  limit = 100_000,
): Promise<LoggedEvent[]> {
  const rows = await sql.unsafe<EventRow[]>(
    `select ${envelopeSelect} from switchyard.events e where e.tenant = $1 and e.seq > $2 order by e.seq limit $3`,
    [tenant, afterSeq, limit],
  );
  return rows.map(rowToEvent);
}

/** Hands every new event of `tenant` to the composer in batches, as the relay would. */
export function relay(ctx: AppContext, tenant: string, batchSize = 500) {
  let cursor = 0;
  return async (opts: { coalesce?: boolean } = {}): Promise<ComposeResult> => {
    const total: ComposeResult = { events: 0, keys: 0, writes: 0, failed: 0, conciliated: 0 };
    for (;;) {
      const batch = await loggedEvents(ctx.sql, tenant, cursor, batchSize);
      if (batch.length === 0) return total;
      cursor = batch[batch.length - 1].seq;
      const r = await composeDtos(ctx, batch, opts);
      for (const k of Object.keys(total) as (keyof ComposeResult)[]) total[k] += r[k];
    }
  };
}

/** What the source query computes for one key right now. */
export async function fromSource(sql: Sql, def: AnyDtoDefinition, tenant: string, key: string) {
  return (await runSource(sql, def, tenant, [key])).byKey.get(key)?.data ?? null;
}

export async function timeline(sql: Sql, tenant: string, entityType: string, id: string) {
  return (await sql.unsafe<EventRow[]>(
    `select ${envelopeSelect} from switchyard.events e where e.tenant = $1 and e.entity_type = $2 and e.entity_id = $3 order by e.version`,
    [tenant, entityType, id],
  )).map(rowToEvent);
}
