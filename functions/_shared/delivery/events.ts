/** The events deliveries produce, built here and appended through the event generator (events/append.ts). */
import type { NewEvent } from "../events/append.ts";
import type { LoggedEvent } from "../events/envelope.ts";
import type { Recorded } from "./claim.ts";

/** `delivery.dead` on the failed event's entity: its schedule ran out and it was dead-lettered. */
export function deliveryDead(d: Recorded, event: LoggedEvent): NewEvent {
  return {
    tenant: d.tenant,
    type: "delivery.dead",
    entity: event.entity,
    causationId: event.id,
    correlationId: event.correlationId,
    dedupKey: `delivery.dead:${d.dead_letter_id}`,
    data: {
      deliveryId: d.id,
      endpointId: d.endpoint_id,
      eventId: d.event_id,
      eventType: event.type,
      deadLetterId: d.dead_letter_id,
      tries: d.tries,
      reason: d.reason,
    },
    metadata: { source: "delivery" },
  };
}

/** `endpoint.disabled` on the endpoint's own entity; routable like any event (to Telegram, say). */
export function endpointDisabled(
  e: { tenant: string; endpointId: string; reason: string | null; automatic: boolean },
  at: Date,
): NewEvent {
  return {
    tenant: e.tenant,
    type: "endpoint.disabled",
    entity: { type: "endpoint", id: e.endpointId },
    dedupKey: `endpoint.disabled:${e.endpointId}:${at.toISOString()}`,
    data: { endpointId: e.endpointId, reason: e.reason, automatic: e.automatic },
    metadata: { source: "delivery" },
  };
}

/** `endpoint.deleted` on the endpoint's own entity: what its deletion cancelled. */
export function endpointDeleted(
  e: {
    tenant: string;
    endpointId: string;
    reason: string | null;
    cancelledDeliveries: number;
    closedDeadLetters: number;
  },
): NewEvent {
  return {
    tenant: e.tenant,
    type: "endpoint.deleted",
    entity: { type: "endpoint", id: e.endpointId },
    dedupKey: `endpoint.deleted:${e.endpointId}`,
    data: {
      endpointId: e.endpointId,
      reason: e.reason,
      cancelledDeliveries: e.cancelledDeliveries,
      closedDeadLetters: e.closedDeadLetters,
    },
    metadata: { source: "delivery" },
  };
}
