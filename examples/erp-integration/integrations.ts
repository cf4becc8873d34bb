/**
 * The three tenants and how each one's ERP wants its work orders: the connector, transform and
 * credentials of the endpoint registered in Switchyard, and what the fake ERP checks, from one place.
 */
import type { EndpointSetup } from "../_shared/admin.ts";

export type Protocol = "rest" | "soap" | "graphql";

export interface Integration {
  tenant: string;
  company: string;
  protocol: Protocol;
  /** Where the ERP listens, below its base URL. */
  path: string;
  credentials: NonNullable<EndpointSetup["credentials"]>;
  transform: NonNullable<EndpointSetup["transform"]>;
}

export const acmeToken = "acme-erp-token-4f1c";
export const globexLogin = { username: "switchyard", password: "globex-s3cret" };
export const initechKey = { name: "X-Initech-Key", value: "initech-key-9d2e" };
export const soapAction = "urn:globex:erp/UpsertWorkOrder";

const soapEnvelope = `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:erp="urn:globex:erp">
  <soap:Body>
    <erp:UpsertWorkOrder>
      <erp:WorkOrderId>{{entity.id}}</erp:WorkOrderId>
      <erp:Asset>{{data.new.asset}}</erp:Asset>
      <erp:Status>{{data.new.status}}</erp:Status>
      <erp:Priority>{{data.new.priority}}</erp:Priority>
      <erp:Description>{{data.new.description}}</erp:Description>
      <erp:Revision>{{version}}</erp:Revision>
    </erp:UpsertWorkOrder>
  </soap:Body>
</soap:Envelope>`;

const graphqlMutation = `mutation UpsertWorkOrder($input: WorkOrderInput!) {
  upsertWorkOrder(input: $input) { id revision }
}`;

export const integrations: Integration[] = [
  {
    tenant: "acme",
    company: "Acme Industrial (REST ERP)",
    protocol: "rest",
    path: "/api/work-orders",
    credentials: { type: "bearer", token: acmeToken },
    transform: {
      method: "POST",
      body: {
        externalId: "{{entity.id}}",
        asset: "{{data.new.asset}}",
        status: "{{data.new.status | lower}}",
        priority: "{{data.new.priority | lower}}",
        description: "{{data.new.description}}",
        dueDate: "{{data.new.due_date | date}}",
        revision: "{{version}}",
      },
    },
  },
  {
    tenant: "globex",
    company: "Globex Corporation (SOAP ERP)",
    protocol: "soap",
    path: "/soap/maintenance",
    credentials: { type: "basic", ...globexLogin },
    transform: { envelope: soapEnvelope, soapAction },
  },
  {
    tenant: "initech",
    company: "Initech (GraphQL ERP)",
    protocol: "graphql",
    path: "/graphql",
    credentials: { type: "header", ...initechKey },
    transform: {
      query: graphqlMutation,
      operationName: "UpsertWorkOrder",
      variables: {
        input: {
          id: "{{entity.id}}",
          asset: "{{data.new.asset}}",
          state: "{{data.new.status}}",
          priority: "{{data.new.priority | lower}}",
          revision: "{{version}}",
        },
      },
    },
  },
];

/**
 * The tenant's endpoint: its ERP's connector, created and updated work orders only (a deleted row
 * has no `data.new`), and one retry after 300 ms so a down ERP's deliveries dead-letter within a second.
 */
export function endpointSetup(i: Integration, url: string): EndpointSetup {
  return {
    tenant: i.tenant,
    name: `${i.tenant}-erp`,
    kind: i.protocol,
    url,
    events: ["work_order.created", "work_order.updated"],
    retrySchedule: [300],
    timeoutMs: 2_000,
    credentials: i.credentials,
    transform: i.transform,
  };
}
