/** The event envelope (docs/CONTRACT.md) and how events read, in a table and one per line. */
import type { EventEnvelope } from "../../functions/_shared/events/envelope.ts";
import type { Column } from "./table.ts";

/** One definition of the envelope: the functions' own (a type-only import, erased when tsx runs the CLI). */
export type Envelope = EventEnvelope;

export const eventColumns: Column<Envelope>[] = [
  { header: "timestamp", get: (e) => e.timestamp },
  { header: "tenant", get: (e) => e.tenant },
  { header: "type", get: (e) => e.type },
  { header: "entity", get: (e) => `${e.entity.type}:${e.entity.id}` },
  { header: "v", get: (e) => e.version },
  { header: "id", get: (e) => e.id },
  { header: "data", get: (e) => e.data },
];

export function eventLine(e: Envelope): string {
  return `${e.timestamp}  ${e.type}  ${e.entity.type}:${e.entity.id} v${e.version}  ${e.id}  ${
    JSON.stringify(e.data)
  }`;
}
