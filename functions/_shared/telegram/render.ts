/**
 * Message rendering for Telegram's HTML parse mode, with the delivery templates' `{{path | format}}`
 * placeholders. Templates are trusted (ours or the endpoint's); every value taken from the event
 * is escaped, so event data can never inject markup or break the message.
 */
import type { EventEnvelope } from "../events/envelope.ts";
import { renderText } from "../delivery/transform.ts";

/** Longest single value put into a message; Telegram caps a whole message at 4,096 characters. */
export const MAX_VALUE_CHARS = 400;

// Telegram's HTML mode knows only these named entities (plus numeric ones).
const htmlEntities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => htmlEntities[ch]);
}

function escapeValue(text: string): string {
  if (text === "") return "—";
  return escapeHtml(
    text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text,
  );
}

/** Fills `{{path}}` placeholders (paths into the envelope: `entity.id`, `data.total`) with escaped values. */
export function renderHtml(template: string, event: EventEnvelope): string {
  return renderText(template, event, escapeValue);
}
