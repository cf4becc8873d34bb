/** Deliveries and their attempts for a page of a timeline. (Filled by the delivery work.) */
import type { Sql } from "../db.ts";

export interface DeliverySummary {
  id: string;
  endpointId: string;
  status: string;
  attempts: unknown[];
}

/** Deliveries of each event id, keyed by event id; one query for the whole page. */
export function deliveriesForEvents(_sql: Sql, _tenant: string, _eventIds: string[]): Promise<Map<string, DeliverySummary[]>> {
  return Promise.resolve(new Map());
}
