/** Globex's SOAP 1.1 ERP: basic auth, `text/xml`, the SOAPAction header, an UpsertWorkOrder envelope, or a fault. */
import { type ErpHandler, now } from "./server.ts";

const entities: Record<string, string> = {
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&apos;": "'",
  "&amp;": "&",
};
const unescape = (s: string) => s.replace(/&(lt|gt|quot|apos|amp);/g, (e) => entities[e]);

const fault = (status: number, refused: string) => ({
  refused,
  response: new Response(
    `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
      `<soap:Fault><faultcode>soap:Client</faultcode><faultstring>${refused}</faultstring></soap:Fault></soap:Body></soap:Envelope>`,
    { status, headers: { "content-type": "text/xml; charset=utf-8" } },
  ),
});

export function soapErp(login: { username: string; password: string }, action: string): ErpHandler {
  const basic = `Basic ${btoa(`${login.username}:${login.password}`)}`;
  return async (req) => {
    if (req.headers.get("authorization") !== basic) return fault(401, "authentication failed");
    if (!req.headers.get("content-type")?.startsWith("text/xml")) {
      return fault(415, "expected text/xml");
    }
    if (req.headers.get("soapaction") !== `"${action}"`) {
      return fault(500, `unknown SOAPAction ${req.headers.get("soapaction")}`);
    }
    const xml = await req.text();
    if (!/<soap:Envelope[\s>][\s\S]*<erp:UpsertWorkOrder>[\s\S]*<\/soap:Envelope>/.test(xml)) {
      return fault(500, "expected an UpsertWorkOrder envelope");
    }
    const field = (name: string) => {
      const m = new RegExp(`<erp:${name}>([^<]*)</erp:${name}>`).exec(xml);
      return m ? unescape(m[1]) : "";
    };
    const [id, asset, status, priority, revision] = [
      "WorkOrderId",
      "Asset",
      "Status",
      "Priority",
      "Revision",
    ].map(field);
    if (!id || !asset || !status || !priority || !/^\d+$/.test(revision)) {
      return fault(500, "WorkOrderId, Asset, Status, Priority and Revision are required");
    }
    return {
      record: {
        workOrderId: id,
        asset,
        status,
        priority,
        revision: Number(revision),
        receivedAt: now(),
      },
      response: new Response(
        `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
          `<erp:UpsertWorkOrderResponse xmlns:erp="urn:globex:erp"><erp:Result>OK</erp:Result></erp:UpsertWorkOrderResponse>` +
          `</soap:Body></soap:Envelope>`,
        { headers: { "content-type": "text/xml; charset=utf-8" } },
      ),
    };
  };
}
