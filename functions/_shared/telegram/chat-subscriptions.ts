/** What a linked chat receives: per tenant, its enabled telegram endpoints and their event patterns. */
import type { Sql } from "../db.ts";

export interface TenantSubscriptions {
  tenant: string;
  endpoints: { name: string; patterns: string[] }[];
}

export async function subscriptionsOfTenants(
  sql: Sql,
  tenants: string[],
): Promise<TenantSubscriptions[]> {
  const rows = await sql<{ tenant: string; name: string; patterns: string[] }[]>`
    select e.tenant, coalesce(e.name, e.id) as name,
      coalesce(array_agg(s.pattern order by s.pattern) filter (where s.pattern is not null), '{}') as patterns
    from switchyard.endpoints e
    left join switchyard.subscriptions s on s.endpoint_id = e.id
    where e.tenant = any(${tenants}) and e.kind = 'telegram' and e.enabled
    group by e.tenant, e.id, e.name order by e.tenant, name`;
  return tenants.map((tenant) => ({
    tenant,
    endpoints: rows.filter((r) => r.tenant === tenant).map(({ name, patterns }) => ({
      name,
      patterns,
    })),
  }));
}
