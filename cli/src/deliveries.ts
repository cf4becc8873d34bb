/** Delivery and dead-letter rows as the admin API answers them, and how they read in a table. */
import type { Column } from "./table.ts";

export const DELIVERY_STATUSES = ["pending", "held", "delivered", "dead", "cancelled"] as const;

export interface Delivery {
  id: string;
  tenant: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  entity: { type: string; id: string };
  version: number;
  status: (typeof DELIVERY_STATUSES)[number];
  replay: boolean;
  tries: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  attempts?: Record<string, unknown>[];
}

export interface DeadLetter {
  id: string;
  deliveryId: string;
  tenant: string;
  endpointId: string;
  eventId: string;
  eventType: string | null;
  reason: string | null;
  tries: number;
  deadAt: string;
}

const last = (d: Delivery) =>
  [d.lastStatus, d.lastError].filter((v) => v !== null && v !== undefined).join(" ");

export const deliveryColumns: Column<Delivery>[] = [
  { header: "id", get: (d) => d.id },
  { header: "tenant", get: (d) => d.tenant },
  { header: "endpoint", get: (d) => d.endpointId },
  { header: "event", get: (d) => d.eventType },
  {
    header: "entity",
    get: (d) => (d.entity ? `${d.entity.type}:${d.entity.id} v${d.version}` : null),
  },
  { header: "status", get: (d) => (d.replay ? `${d.status} (replay)` : d.status) },
  { header: "tries", get: (d) => d.tries },
  { header: "next attempt", get: (d) => d.nextAttemptAt },
  { header: "last answer", get: last },
];

export const deadLetterColumns: Column<DeadLetter>[] = [
  { header: "id", get: (l) => l.id },
  { header: "delivery", get: (l) => l.deliveryId },
  { header: "tenant", get: (l) => l.tenant },
  { header: "endpoint", get: (l) => l.endpointId },
  { header: "event", get: (l) => l.eventType },
  { header: "tries", get: (l) => l.tries },
  { header: "dead at", get: (l) => l.deadAt },
  { header: "reason", get: (l) => l.reason },
];
