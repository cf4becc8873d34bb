/**
 * Everything the ERP example needs, for `npm start -- --example erp-integration` (load.ts) and its
 * test alike: the maintenance schema (tracked), three tenants, a fake ERP per tenant, one endpoint
 * per tenant with its own connector, transform and credentials, and the maintenance API and console.
 */
import { ensureEndpoint, ensureTenant } from "../_shared/admin.ts";
import { openExample } from "../_shared/local.ts";
import {
  acmeToken,
  endpointSetup,
  globexLogin,
  initechKey,
  integrations,
  type Protocol,
  soapAction,
} from "./integrations.ts";
import { type ErpHandler, type FakeErp, startFakeErp } from "./erps/server.ts";
import { restErp } from "./erps/rest.ts";
import { soapErp } from "./erps/soap.ts";
import { graphqlErp } from "./erps/graphql.ts";
import { startMaintenance } from "./maintenance.ts";
import { startConsole } from "./console.ts";

export interface ErpExampleOptions {
  env: Record<string, string>;
  /** 0 lets the OS pick (tests). */
  ports: { maintenance: number; console: number } & Record<Protocol, number>;
}

const handlers: Record<Protocol, ErpHandler> = {
  rest: restErp(acmeToken),
  soap: soapErp(globexLogin, soapAction),
  graphql: graphqlErp(initechKey),
};

export async function startErpExample(opts: ErpExampleOptions) {
  const { sql, api, running } = await openExample(
    opts.env,
    new URL("./schema.sql", import.meta.url),
    "example-erp",
  );
  try {
    const erps: FakeErp[] = [];
    const endpoints: Record<string, string> = {};
    for (const i of integrations) {
      await ensureTenant(api, i.tenant, i.company);
      const erp = startFakeErp({
        tenant: i.tenant,
        protocol: i.protocol,
        port: opts.ports[i.protocol],
        path: i.path,
        handle: handlers[i.protocol],
      });
      erps.push(erp);
      running.add(erp.stop);
      endpoints[i.tenant] = (await ensureEndpoint(api, endpointSetup(i, erp.url))).id;
    }
    const maintenance = startMaintenance({ port: opts.ports.maintenance, sql });
    const erpConsole = startConsole({ port: opts.ports.console, erps });
    running.add(maintenance.stop, erpConsole.stop);
    return { sql, erps, endpoints, maintenance, console: erpConsole, stop: running.stopAll };
  } catch (err) {
    await running.stopAll();
    throw err;
  }
}

export type ErpExample = Awaited<ReturnType<typeof startErpExample>>;
