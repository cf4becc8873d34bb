/** The events the DTO middleware emits, all on the DTO subject's timeline (e.g. the customer). */
import type { NewEvent } from "../events/append.ts";
import type { LoggedEvent } from "../events/envelope.ts";
import type { AnyDtoDefinition, FailureReason } from "./types.ts";

interface Subject {
  tenant: string;
  def: AnyDtoDefinition;
  key: string;
}

const base = (
  s: Subject,
  type: string,
  causationId: string | null,
  correlationId: string | null,
) => ({
  tenant: s.tenant,
  type,
  entity: { type: s.def.entityType, id: s.key },
  causationId,
  correlationId,
  metadata: { source: "dto" },
});

export function dtoUpdated(
  s: Subject,
  version: number,
  last: LoggedEvent | null,
  events: number,
  via: "composer" | "conciliation" | "rebuild" | "read",
): NewEvent {
  return {
    ...base(s, "dto.updated", last?.id ?? null, last?.correlationId ?? null),
    data: { dtoType: s.def.name, key: s.key, version, events, via },
  };
}

export function dtoFailed(
  s: Subject,
  reason: FailureReason,
  detail: string,
  cause: LoggedEvent | null,
): NewEvent {
  return {
    ...base(s, "dto.failed", cause?.id ?? null, cause?.correlationId ?? null),
    data: {
      dtoType: s.def.name,
      key: s.key,
      reason,
      detail: detail.slice(0, 500),
      eventId: cause?.id ?? null,
    },
  };
}

export function dtoConciliated(
  s: Subject,
  version: number,
  attempts: number,
  failedEventId: string | null,
): NewEvent {
  return {
    ...base(s, "dto.conciliated", failedEventId, null),
    data: { dtoType: s.def.name, key: s.key, version, attempts },
  };
}

export function dtoConciliationExhausted(
  s: Subject,
  attempts: number,
  lastError: string,
  failedEventId: string | null,
): NewEvent {
  return {
    ...base(s, "dto.conciliation_exhausted", failedEventId, null),
    data: { dtoType: s.def.name, key: s.key, attempts, lastError: lastError.slice(0, 500) },
  };
}
