/** DTO composition for a handed-over batch. (Filled by the DTO work.) */
import type { AppContext } from "../context.ts";
import type { LoggedEvent } from "../events/envelope.ts";

export function composeDtos(_ctx: AppContext, _events: LoggedEvent[]): Promise<void> {
  return Promise.resolve();
}
