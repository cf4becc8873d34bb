/**
 * What the HTTP connectors share: a body made by the kind, the endpoint's headers and credentials,
 * and Standard Webhooks headers on every request so any target can verify where it came from.
 */
import type { Connector, DeliveryEndpoint, DeliveryTry } from "../connector.ts";
import type { LoggedEvent } from "../../events/envelope.ts";
import { credentialHeaders } from "../credentials.ts";
import { webhookHeaders } from "../signing.ts";
import { sendHttp } from "../outbound.ts";

export interface HttpRequestParts {
  method: string;
  contentType: string;
  body?: string;
  headers?: Record<string, string>;
}

export type BuildRequest = (
  endpoint: DeliveryEndpoint,
  event: LoggedEvent,
  delivery: DeliveryTry,
) => HttpRequestParts;

export function httpConnector(build: BuildRequest): Connector {
  return {
    async send(ctx, delivery, endpoint, event) {
      if (!endpoint.url) {
        return { ok: false, permanent: true, latencyMs: 0, error: "endpoint has no URL" };
      }
      let parts: HttpRequestParts;
      try {
        parts = build(endpoint, event, delivery);
      } catch (err) {
        return {
          ok: false,
          permanent: true,
          latencyMs: 0,
          error: `transform failed: ${(err as Error).message}`,
        };
      }
      const body = parts.body ?? "";
      const headers: Record<string, string> = {
        "content-type": parts.contentType,
        "user-agent": "Switchyard-Webhooks/1",
        ...lower(endpoint.headers),
        ...lower(parts.headers ?? {}),
        ...credentialHeaders(endpoint.credentials),
        ...webhookHeaders(endpoint.secrets, delivery.id, ctx.clock.now(), body),
      };
      return await sendHttp(ctx, {
        url: endpoint.url,
        method: parts.method,
        headers,
        body: parts.method === "GET" ? undefined : body,
        timeoutMs: endpoint.timeoutMs,
      });
    },
  };
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
