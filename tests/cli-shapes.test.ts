/** The CLI (Node) keeps its own copies of a few server shapes; these checks keep them the same. */
import assert from "node:assert/strict";
import { type Endpoint, KINDS } from "../cli/src/endpoints.ts";
import type { ErrorDetail as CliErrorDetail } from "../cli/src/errors.ts";
import { endpointKinds } from "../functions/_shared/delivery/connector.ts";
import type { EndpointJson } from "../functions/_shared/delivery/endpoint-schema.ts";
import type { ErrorDetail } from "../functions/_shared/errors.ts";

// Type checks (deno check runs them): what the server sends fits what the CLI reads.
type ServerEndpointFitsCli = EndpointJson extends Endpoint ? true : never;
type ServerDetailFitsCli = ErrorDetail extends CliErrorDetail ? true : never;
const _fits: [ServerEndpointFitsCli, ServerDetailFitsCli] = [true, true];

Deno.test("the CLI offers exactly the endpoint kinds the server accepts", () => {
  assert.deepEqual([...KINDS].sort(), [...endpointKinds].sort());
});
