/** REST: the endpoint's method (POST by default) with a JSON body from the template (or the envelope). */
import { toEnvelope } from "../../events/envelope.ts";
import { render } from "../transform.ts";
import { httpConnector } from "./http.ts";

export const restConnector = httpConnector((endpoint, event) => {
  const envelope = toEnvelope(event);
  const t = endpoint.transform;
  const body = t?.body !== undefined ? render(t.body, envelope) : envelope;
  return {
    method: t?.method ?? "POST",
    contentType: "application/json",
    body: JSON.stringify(body),
  };
});
