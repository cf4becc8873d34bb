/** Default message templates per event type, in Spanish and English; endpoints may override them. */
import { z } from "zod";
import type { EventEnvelope } from "../events/envelope.ts";
import { renderHtml } from "./render.ts";

export const languages = ["es", "en"] as const;
export type Language = typeof languages[number];

const defaults: Record<string, Record<Language, string>> = {
  "order.created": {
    es: "🛒 Nueva orden {{entity.id}}",
    en: "🛒 New order {{entity.id}}",
  },
  "order.confirmed": {
    es: "✅ Tu orden {{entity.id}} ha sido confirmada",
    en: "✅ Your order {{entity.id}} has been confirmed",
  },
  "order.rejected": {
    es: "❌ Tu orden {{entity.id}} ha sido rechazada",
    en: "❌ Your order {{entity.id}} has been rejected",
  },
  "order.cancelled": {
    es: "🚫 Tu orden {{entity.id}} ha sido cancelada",
    en: "🚫 Your order {{entity.id}} has been cancelled",
  },
  "product.stock_reserved": {
    es: "📦 Stock reservado para el producto {{entity.id}}",
    en: "📦 Stock reserved for product {{entity.id}}",
  },
  "delivery.dead": {
    es:
      "🔴 <b>Entrega fallida</b>: {{entity.type}} {{entity.id}} pasó a dead letter tras agotar los reintentos",
    en:
      "🔴 <b>Delivery failed</b>: {{entity.type}} {{entity.id}} was dead-lettered after its last retry",
  },
  "dto.conciliation_exhausted": {
    es: "⚠️ <b>Conciliación agotada</b>: {{entity.type}} {{entity.id}} no pudo recomponerse",
    en: "⚠️ <b>Conciliation exhausted</b>: {{entity.type}} {{entity.id}} could not be rebuilt",
  },
  "metrics.anomaly": {
    es: "📈 <b>Anomalía</b> en las métricas de {{tenant}}: {{entity.type}} {{entity.id}}",
    en: "📈 <b>Anomaly</b> in {{tenant}}'s metrics: {{entity.type}} {{entity.id}}",
  },
};

const fallback: Record<Language, string> = {
  es: "🔔 <b>{{type}}</b> · {{entity.type}} {{entity.id}}",
  en: "🔔 <b>{{type}}</b> · {{entity.type}} {{entity.id}}",
};

/**
 * The Telegram part of an endpoint's transform: `text` (one template for every event type, the
 * delivery transform's field), `templates` per event type, and the default templates' language.
 */
export const telegramTransformSchema = z.object({
  language: z.enum(languages).default("es"),
  templates: z.record(z.string().min(1).max(200), z.string().min(1).max(4_096)).default({}),
  text: z.string().min(1).max(4_096).optional(),
}).loose();

export type TelegramTransform = z.infer<typeof telegramTransformSchema>;

export function templateFor(type: string, transform: TelegramTransform): string {
  return transform.templates[type] ?? transform.text ?? defaults[type]?.[transform.language] ??
    fallback[transform.language];
}

export function renderMessage(event: EventEnvelope, transform: TelegramTransform): string {
  return renderHtml(templateFor(event.type, transform), event);
}

export const shippedEventTypes = Object.keys(defaults);
