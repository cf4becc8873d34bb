/** GraphQL: `{query, variables, operationName}` as JSON; an answer carrying `errors` counts as failed. */
import { toEnvelope } from "../../events/envelope.ts";
import { render } from "../transform.ts";
import { httpConnector } from "./http.ts";
import type { Connector } from "../connector.ts";

const post = httpConnector((endpoint, event) => {
  const t = endpoint.transform;
  if (!t?.query) throw new Error("a graphql endpoint needs transform.query");
  const envelope = toEnvelope(event);
  const body = {
    query: t.query,
    variables: t.variables !== undefined ? render(t.variables, envelope) : { event: envelope },
    ...(t.operationName ? { operationName: t.operationName } : {}),
  };
  return { method: "POST", contentType: "application/json", body: JSON.stringify(body) };
});

export const graphqlConnector: Connector = {
  async send(ctx, delivery, endpoint, event) {
    const result = await post.send(ctx, delivery, endpoint, event);
    if (result.ok && /^\s*\{[\s\S]*"errors"\s*:\s*\[\s*\{/.test(result.responseExcerpt ?? "")) {
      return { ...result, ok: false, error: "GraphQL answered with errors" };
    }
    return result;
  },
};
