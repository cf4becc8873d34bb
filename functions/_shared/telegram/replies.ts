/** What the bot says, in Spanish and English (by the user's Telegram language). All values escaped. */
import { escapeHtml as e } from "./render.ts";
import type { Language } from "./templates.ts";
import type { TenantSubscriptions } from "./chat-subscriptions.ts";

export function replyLanguage(code: string | undefined): Language {
  return code?.toLowerCase().startsWith("es") ? "es" : "en";
}

interface Replies {
  welcome: string;
  help: string;
  notLinked: string;
  refused: Record<"unknown" | "expired" | "used", string>;
  linked(tenant: string): string;
  stopped(tenants: string[]): string;
  status(subs: TenantSubscriptions[]): string;
}

const list = (tenants: string[]) => tenants.map((t) => `<b>${e(t)}</b>`).join(", ");

function statusText(
  subs: TenantSubscriptions[],
  words: { tenant: string; none: string; all: string },
): string {
  return subs.map((s) => {
    const lines = s.endpoints.map((ep) =>
      `• ${e(ep.name)}: ${
        ep.patterns.length ? ep.patterns.map((p) => `<code>${e(p)}</code>`).join(", ") : words.all
      }`
    );
    return `${words.tenant} <b>${e(s.tenant)}</b>\n${lines.length ? lines.join("\n") : words.none}`;
  }).join("\n\n");
}

export const replies: Record<Language, Replies> = {
  en: {
    welcome:
      "👋 Hi! To receive notifications, send <code>/start &lt;code&gt;</code> with a code from <code>switchyard telegram link --tenant &lt;slug&gt;</code>.",
    help:
      "Commands:\n/start <code>&lt;code&gt;</code> link this chat with a one-time code\n/status what this chat receives\n/stop stop all notifications\n/help this text",
    notLinked:
      "This chat is not linked. Send <code>/start &lt;code&gt;</code> with a code from <code>switchyard telegram link</code>.",
    refused: {
      unknown:
        "❌ That code is not valid. Ask for a new one with <code>switchyard telegram link</code>.",
      expired:
        "⌛ That code has expired. Ask for a new one with <code>switchyard telegram link</code>.",
      used:
        "❌ That code has already been used. Ask for a new one with <code>switchyard telegram link</code>.",
    },
    linked: (t) =>
      `✅ This chat now receives notifications from ${
        list([t])
      }. /status shows which, /stop ends them.`,
    stopped: (ts) => `🔕 Unlinked from ${list(ts)}. No more notifications here.`,
    status: (subs) =>
      statusText(subs, {
        tenant: "📬 Tenant",
        none: "no Telegram endpoints yet",
        all: "all events",
      }),
  },
  es: {
    welcome:
      "👋 ¡Hola! Para recibir notificaciones, envía <code>/start &lt;código&gt;</code> con un código de <code>switchyard telegram link --tenant &lt;slug&gt;</code>.",
    help:
      "Comandos:\n/start <code>&lt;código&gt;</code> vincula este chat con un código de un solo uso\n/status qué recibe este chat\n/stop deja de enviar notificaciones\n/help este texto",
    notLinked:
      "Este chat no está vinculado. Envía <code>/start &lt;código&gt;</code> con un código de <code>switchyard telegram link</code>.",
    refused: {
      unknown:
        "❌ Ese código no es válido. Pide uno nuevo con <code>switchyard telegram link</code>.",
      expired:
        "⌛ Ese código ha caducado. Pide uno nuevo con <code>switchyard telegram link</code>.",
      used: "❌ Ese código ya se usó. Pide uno nuevo con <code>switchyard telegram link</code>.",
    },
    linked: (t) =>
      `✅ Este chat recibe ahora las notificaciones de ${
        list([t])
      }. /status muestra cuáles, /stop las detiene.`,
    stopped: (ts) => `🔕 Desvinculado de ${list(ts)}. No habrá más notificaciones aquí.`,
    status: (subs) =>
      statusText(subs, {
        tenant: "📬 Tenant",
        none: "aún no hay endpoints de Telegram",
        all: "todos los eventos",
      }),
  },
};
