/**
 * `npm start -- --example bank`: the DTO middleware on a small bank. Applies schema.sql, creates
 * tenant `bank`, seeds customers, accounts and balances, and prints what to try. Its DTO types are
 * in dtos/, which `npm start` registers through SWITCHYARD_DTO_DIR.
 */
import type { Logger } from "../../functions/_shared/log.ts";
import { createSql } from "../../functions/_shared/db.ts";
import { type ExampleEnv, exampleTenant } from "../_shared/tenant.ts";
import { seedBank } from "./seed.ts";

export const TENANT = "bank";
export const schema = new URL("./schema.sql", import.meta.url);

export async function load({ env, log }: { env: ExampleEnv; log: Logger }): Promise<void> {
  const tenant = await exampleTenant(env, TENANT, "Example bank");
  const sql = createSql(env.DATABASE_URL!, { max: 1 });
  try {
    await sql.unsafe(await Deno.readTextFile(schema));
    await seedBank(sql, TENANT);
  } finally {
    await sql.end();
  }
  log.info("bank example loaded", { tenant: TENANT, keyFile: tenant.keyFile });
  const auth = `-H "Authorization: Bearer $KEY"`;
  console.log(`
Example "bank": tenant ${TENANT}, customers cust-001, cust-002, cust-003 (see examples/bank/README.md)

  KEY=$(cat ${tenant.keyFile})
  curl -si ${tenant.base}/api/dto/customer_position/cust-001 ${auth}   # X-Switchyard-Source: primary
  curl -s ${tenant.base}/api/dto/customer_profile/cust-002 ${auth}
  psql "${env.DATABASE_URL}" -c "update bank.balances set available = available - 20 where tenant_id = '${TENANT}' and account_id = 'cust-001-eur'"
  curl -s ${tenant.base}/api/trace/customer/cust-001 ${auth}           # customer.*, dto.updated, …
  npx switchyard dto get customer_position cust-001 --tenant ${TENANT}
`);
}
