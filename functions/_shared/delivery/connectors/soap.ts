/** SOAP 1.1: the envelope template with XML-escaped values, `text/xml`, and the SOAPAction header. */
import { toEnvelope } from "../../events/envelope.ts";
import { renderText, xmlEscape } from "../transform.ts";
import { httpConnector } from "./http.ts";

export const soapConnector = httpConnector((endpoint, event) => {
  const t = endpoint.transform;
  if (!t?.envelope) throw new Error("a soap endpoint needs transform.envelope");
  const action = renderText(t.soapAction ?? "", toEnvelope(event));
  return {
    method: "POST",
    contentType: "text/xml; charset=utf-8",
    body: renderText(t.envelope, toEnvelope(event), xmlEscape),
    // SOAP 1.1 §6.1.1: the header value is a quoted URI.
    headers: { soapaction: `"${action.replace(/"/g, "")}"` },
  };
});
