/** `npm start -- --example erp-integration`: sets the example up in the running stack and prints what to try. */
import type { Logger } from "../../functions/_shared/log.ts";
import { type ErpExample, startErpExample } from "./setup.ts";

const ports = { maintenance: 8094, rest: 8095, soap: 8096, graphql: 8097, console: 8098 };

export async function load({ env }: { env: Record<string, string>; log: Logger }) {
  const example = await startErpExample({ env, ports });
  console.log(tryThis(example));
  return example.stop;
}

function tryThis(x: ErpExample): string {
  const m = x.maintenance.url;
  const c = x.console.url;
  const post = (tenant: string, id: string, asset: string) =>
    `curl -s -X POST ${m}/work-orders -H 'content-type: application/json' -d '{"tenant":"${tenant}","workOrderId":"${id}","asset":"${asset}","priority":"HIGH"}'`;
  return `
Example "erp-integration" is loaded: tenants acme (REST ERP), globex (SOAP ERP), initech (GraphQL ERP).
  maintenance API   ${m}/work-orders     (POST, PATCH /work-orders/:tenant/:id, GET)
  ERP console       ${c}/erps            (POST /erps/:tenant/down | up)
${x.erps.map((e) => `  ${e.tenant.padEnd(8)} ${e.protocol.padEnd(8)} ${e.url}`).join("\n")}

Try:
  ${post("acme", "WO-1", "Pump P-101")}
  ${post("globex", "WO-1", "Boiler B-2")}
  ${post("initech", "WO-1", "Conveyor C-7")}
  curl -s ${c}/erps
  curl -s -X POST ${c}/erps/globex/down
  ${post("globex", "WO-2", "Chiller CH-1")}
  curl -s -X PATCH ${m}/work-orders/acme/WO-1 -H 'content-type: application/json' -d '{"status":"IN_PROGRESS"}'
  npx switchyard dlq list --tenant globex
  curl -s -X POST ${c}/erps/globex/up
  npx switchyard dlq replay --all --tenant globex
  curl -s ${c}/erps/globex
`;
}
