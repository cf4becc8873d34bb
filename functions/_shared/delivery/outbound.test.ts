import assert from "node:assert/strict";
import { pinnedLookup, sendHttp } from "./outbound.ts";
import { type AddressClass, classifyAddress } from "./ssrf.ts";
import type { AppContext } from "../context.ts";
import { systemClock } from "../clock.ts";

// The guard is on (no override); only the classifier seam lets loopback stand in for a public address.
const ctx = {
  config: { SWITCHYARD_ALLOW_PRIVATE_TARGETS: false },
  clock: systemClock,
} as unknown as AppContext;
const loopbackAsPublic = (ip: string): AddressClass =>
  ip === "127.0.0.1" ? "public" : classifyAddress(ip);

/** A name that answers loopback once, then a private address: a DNS rebinding attack. */
function rebindingResolver() {
  const asked: string[] = [];
  return {
    asked,
    resolve: (host: string) => {
      asked.push(host);
      return Promise.resolve(asked.length === 1 ? ["127.0.0.1"] : ["10.0.0.1"]);
    },
  };
}

async function openssl(dir: string, ...args: string[]) {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stderr: "piped" }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

/** A throw-away CA and a certificate for `name` signed by it. */
async function testCertificate(name: string) {
  const dir = await Deno.makeTempDir();
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=switchyard test CA",
  );
  await openssl(
    dir,
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "srv.key",
    "-out",
    "srv.csr",
    "-subj",
    `/CN=${name}`,
  );
  await Deno.writeTextFile(`${dir}/ext`, `subjectAltName=DNS:${name}\n`);
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.pem",
    "-days",
    "1",
    "-extfile",
    "ext",
  );
  const read = (f: string) => Deno.readTextFile(`${dir}/${f}`);
  const pem = { ca: await read("ca.pem"), cert: await read("srv.pem"), key: await read("srv.key") };
  await Deno.remove(dir, { recursive: true });
  return pem;
}

function receiver(tls?: { cert: string; key: string }) {
  const hosts: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...tls },
    (req) => {
      hosts.push(req.headers.get("host") ?? "");
      return new Response("ok");
    },
  );
  return { hosts, port: server.addr.port, close: () => server.shutdown() };
}

Deno.test("the pinned lookup answers the checked address for any name, in both callback forms", () => {
  const lookup = pinnedLookup("2606:4700:4700::1111") as unknown as (
    host: string,
    opts: { all?: boolean },
    cb: (...args: unknown[]) => void,
  ) => void;
  lookup("rebind.test", {}, (...args) => assert.deepEqual(args, [null, "2606:4700:4700::1111", 6]));
  lookup(
    "rebind.test",
    { all: true },
    (...args) => assert.deepEqual(args, [null, [{ address: "2606:4700:4700::1111", family: 6 }]]),
  );
});

Deno.test("an http delivery connects to the address that passed the check, resolving the name once", async () => {
  const target = receiver();
  const dns = rebindingResolver();
  try {
    const result = await sendHttp(
      ctx,
      {
        url: `http://rebind.test:${target.port}/hook`,
        method: "POST",
        headers: {},
        body: "{}",
        timeoutMs: 5_000,
      },
      { target: { resolve: dns.resolve, classify: loopbackAsPublic } },
    );
    assert.equal(result.ok, true, String(result.error));
    assert.deepEqual(dns.asked, ["rebind.test"], "the name was resolved once, by the check");
    assert.deepEqual(
      target.hosts,
      [`rebind.test:${target.port}`],
      "the request still names the host",
    );
  } finally {
    await target.close();
  }
});

Deno.test("an https delivery connects to the checked address and still verifies the certificate by name", async () => {
  const pem = await testCertificate("rebind.test");
  const target = receiver(pem);
  const dns = rebindingResolver();
  try {
    const send = (host: string, resolve = dns.resolve) =>
      sendHttp(
        ctx,
        {
          url: `https://${host}:${target.port}/hook`,
          method: "POST",
          headers: {},
          body: "{}",
          timeoutMs: 5_000,
        },
        { target: { resolve, classify: loopbackAsPublic }, ca: [pem.ca] },
      );
    const result = await send("rebind.test");
    assert.equal(result.ok, true, String(result.error));
    assert.deepEqual(dns.asked, ["rebind.test"]);
    assert.deepEqual(target.hosts, [`rebind.test:${target.port}`]);

    const wrongName = await send("other.test", () => Promise.resolve(["127.0.0.1"]));
    assert.equal(wrongName.ok, false);
    assert.match(wrongName.error ?? "", /altnames|certificate/i);
  } finally {
    await target.close();
  }
});

Deno.test("a name whose only answer is private is refused before any connection", async () => {
  const target = receiver();
  try {
    const result = await sendHttp(
      ctx,
      { url: `http://rebind.test:${target.port}/`, method: "GET", headers: {}, timeoutMs: 5_000 },
      { target: { resolve: () => Promise.resolve(["127.0.0.1"]) } },
    );
    assert.equal(result.ok, false);
    assert.equal(result.permanent, true);
    assert.match(result.error ?? "", /loopback/);
    assert.deepEqual(target.hosts, []);
  } finally {
    await target.close();
  }
});
