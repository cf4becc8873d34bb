import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { newSecret, signatureHeader, webhookHeaders } from "./signing.ts";
import { credentialHeaders, decryptCredentials, encryptCredentials } from "./credentials.ts";

Deno.test("signatures verify with the official library, one per secret", () => {
  const [a, b] = [newSecret(), newSecret()];
  assert.match(a, /^whsec_[A-Za-z0-9+/]+=*$/);
  const body = JSON.stringify({ hello: "world" });
  const headers = webhookHeaders([a, b], "dlv_1", Date.now(), body);
  assert.equal(headers["webhook-signature"].split(" ").length, 2);
  assert.deepEqual(new Webhook(a).verify(body, headers), { hello: "world" });
  assert.deepEqual(new Webhook(b).verify(body, headers), { hello: "world" });
  assert.throws(() => new Webhook(newSecret()).verify(body, headers));
  assert.throws(() => new Webhook(a).verify(body.replace("world", "w0rld"), headers));
});

Deno.test("the signature is HMAC-SHA256 over id.timestamp.body", () => {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  // Test vector from the Standard Webhooks specification.
  const sig = signatureHeader(
    [secret],
    "msg_p5jXN8AQM9LWM0D4loKWxJek",
    1614265330,
    '{"test": 2432232314}',
  );
  assert.equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
});

Deno.test("credentials round-trip encrypted, bound to their endpoint, and become headers", async () => {
  const key = btoa("k".repeat(32));
  const sealed = await encryptCredentials(key, "ep_1", {
    type: "basic",
    username: "u",
    password: "p",
  });
  assert.doesNotMatch(sealed, /"p"|username/);
  assert.deepEqual(await decryptCredentials(key, "ep_1", sealed), {
    type: "basic",
    username: "u",
    password: "p",
  });
  await assert.rejects(decryptCredentials(key, "ep_2", sealed));
  assert.deepEqual(credentialHeaders({ type: "basic", username: "u", password: "p" }), {
    authorization: "Basic dTpw",
  });
  assert.deepEqual(credentialHeaders({ type: "bearer", token: "t" }), {
    authorization: "Bearer t",
  });
  assert.deepEqual(credentialHeaders({ type: "header", name: "X-Api-Key", value: "v" }), {
    "x-api-key": "v",
  });
});
