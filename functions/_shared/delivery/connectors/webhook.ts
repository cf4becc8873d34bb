/** Webhooks (Standard Webhooks): the event envelope as JSON, or the endpoint's JSON template. */
import { toEnvelope } from "../../events/envelope.ts";
import { render } from "../transform.ts";
import { httpConnector } from "./http.ts";

export const webhookConnector = httpConnector((endpoint, event) => {
  const envelope = toEnvelope(event);
  const body = endpoint.transform?.body !== undefined
    ? render(endpoint.transform.body, envelope)
    : envelope;
  return { method: "POST", contentType: "application/json", body: JSON.stringify(body) };
});
