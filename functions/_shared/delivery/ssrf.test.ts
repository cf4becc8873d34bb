import assert from "node:assert/strict";
import { checkTarget, classifyAddress } from "./ssrf.ts";

const table: [string, string][] = [
  ["8.8.8.8", "public"],
  ["93.184.216.34", "public"],
  ["172.32.0.1", "public"],
  ["100.128.0.1", "public"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["::1", "loopback"],
  ["[::1]", "loopback"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.168.1.1", "private"],
  ["100.64.0.1", "private"],
  ["100.127.255.255", "private"],
  ["fc00::1", "private"],
  ["fd12:3456::1", "private"],
  ["fec0::1", "private"],
  ["169.254.0.1", "link-local"],
  ["fe80::1", "link-local"],
  ["fe80::1%eth0", "link-local"],
  ["febf::1", "link-local"],
  ["169.254.169.254", "metadata"],
  ["fd00:ec2::254", "metadata"],
  ["192.0.0.192", "metadata"],
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["::", "unspecified"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["ff02::1", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "reserved"],
  ["192.0.2.1", "reserved"],
  ["198.18.0.1", "reserved"],
  ["2001:db8::1", "reserved"],
  ["100::1", "reserved"],
  ["2606:4700:4700::1111", "public"],
  ["2a00:1450:4001:80b::200e", "public"],
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:7f00:1", "loopback"],
  ["::ffff:169.254.169.254", "metadata"],
  ["::ffff:10.0.0.1", "private"],
  ["::ffff:8.8.8.8", "public"],
  ["::127.0.0.1", "loopback"],
  ["0:0:0:0:0:ffff:c0a8:0101", "private"],
  ["64:ff9b::a9fe:a9fe", "metadata"],
  ["2002:7f00:1::", "loopback"],
  ["2002:0808:0808::1", "public"],
  ["not-an-ip", "invalid"],
  ["1.2.3", "invalid"],
  ["1.2.3.256", "invalid"],
  ["01.2.3.4", "invalid"],
  ["1::2::3", "invalid"],
];

Deno.test("the address classifier sorts every special range", () => {
  for (const [ip, expected] of table) assert.equal(classifyAddress(ip), expected, ip);
});

const fakeDns = (answers: Record<string, string[]>) => (host: string) =>
  answers[host]
    ? Promise.resolve(answers[host])
    : Promise.reject(new Error(`${host} does not resolve`));

Deno.test("a target is refused when it is, or resolves to, a non-public address", async () => {
  const resolve = fakeDns({
    "public.example": ["93.184.216.34"],
    "sneaky.example": ["93.184.216.34", "169.254.169.254"],
    "v6.example": ["::ffff:10.1.2.3"],
  });
  const check = (url: string) => checkTarget(url, { allowPrivate: false, resolve });
  assert.equal((await check("https://public.example/hook")).ok, true);
  assert.equal((await check("https://8.8.8.8/hook")).ok, true);
  for (
    const url of [
      "http://127.0.0.1:8080/",
      "http://localhost:1/",
      "http://api.localhost/",
      "http://[::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://2130706433/",
      "http://0x7f.1/",
      "http://sneaky.example/",
      "http://v6.example/",
      "http://nowhere.example/",
      "ftp://public.example/",
      "http://user:pw@public.example/",
      "not a url",
      "http://169.254.169.254/latest/meta-data",
    ]
  ) {
    assert.equal((await check(url)).ok, false, url);
  }
});

Deno.test("the override allows private targets but still requires http(s)", async () => {
  assert.equal((await checkTarget("http://127.0.0.1:9/", { allowPrivate: true })).ok, true);
  assert.equal((await checkTarget("file:///etc/passwd", { allowPrivate: true })).ok, false);
});
