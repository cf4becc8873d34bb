/**
 * `endpoints test`: one synthetic event sent through the endpoint's connector, not logged, not
 * retried. The endpoint is read within the database deadline; the send has the endpoint's own.
 */
import type { AppContext } from "../context.ts";
import { viaDatabase } from "../db.ts";
import type { LoggedEvent } from "../events/envelope.ts";
import { connectorFor } from "./connector.ts";
import { toDeliveryEndpoint } from "./endpoint-schema.ts";
import { getEndpointRow } from "./endpoints.ts";

export async function testEndpoint(ctx: AppContext, id: string) {
  const row = await viaDatabase(ctx, () => getEndpointRow(ctx.sql, id));
  const endpoint = await toDeliveryEndpoint(ctx, row);
  const now = new Date(ctx.clock.now()).toISOString();
  const event: LoggedEvent = {
    seq: 0,
    id: `evt_test_${crypto.randomUUID().replaceAll("-", "")}`,
    type: "switchyard.test",
    timestamp: now,
    tenant: row.tenant,
    entity: { type: "endpoint", id: row.id },
    version: 1,
    recordedAt: now,
    dedupKey: null,
    correlationId: null,
    causationId: null,
    data: { test: true, endpointId: row.id },
    metadata: { source: "endpoints test" },
  };
  const connector = connectorFor(endpoint.kind);
  if (!connector) {
    return {
      ok: false,
      status: null,
      latencyMs: 0,
      error: `no connector is registered for ${endpoint.kind} endpoints`,
    };
  }
  const delivery = {
    id: `dlv_test_${crypto.randomUUID().replaceAll("-", "")}`,
    tenant: row.tenant,
    endpointId: row.id,
    eventId: event.id,
    attempt: 1,
    replay: false,
  };
  const r = await connector.send(ctx, delivery, endpoint, event);
  return {
    ok: r.ok,
    status: r.status ?? null,
    latencyMs: r.latencyMs,
    ...(r.error ? { error: r.error } : {}),
  };
}
