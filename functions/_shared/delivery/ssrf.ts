/**
 * The SSRF guard. `classifyAddress` is the pure decision on one IP address; `checkTarget` applies
 * it to a URL, after DNS resolution for names, at registration and again before each send, and
 * names the address that passed: `outbound.ts` connects to exactly that one, never resolving again
 * (a name that rebinds between the check and the connection cannot reach a private address).
 */
export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "metadata"
  | "unspecified"
  | "multicast"
  | "reserved"
  | "invalid";

function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/** Eight 16-bit groups, or null. Accepts `::` compression, an embedded dotted IPv4 tail and a zone. */
function parseIPv6(text: string): number[] | null {
  let s = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "").toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = parseIPv4(dotted[1]);
    if (!v4) return null;
    s = s.slice(0, -dotted[1].length) +
      `${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}

function inV4(b: number[], net: number[], bits: number): boolean {
  const a = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const n = ((net[0] << 24) | (net[1] << 16) | (net[2] << 8) | net[3]) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((n & mask) >>> 0);
}

const v4Table: [number[], number, AddressClass][] = [
  [[169, 254, 169, 254], 32, "metadata"],
  [[192, 0, 0, 192], 32, "metadata"],
  [[0, 0, 0, 0], 8, "unspecified"],
  [[127, 0, 0, 0], 8, "loopback"],
  [[10, 0, 0, 0], 8, "private"],
  [[172, 16, 0, 0], 12, "private"],
  [[192, 168, 0, 0], 16, "private"],
  [[100, 64, 0, 0], 10, "private"],
  [[169, 254, 0, 0], 16, "link-local"],
  [[192, 0, 0, 0], 24, "reserved"],
  [[192, 0, 2, 0], 24, "reserved"],
  [[198, 18, 0, 0], 15, "reserved"],
  [[198, 51, 100, 0], 24, "reserved"],
  [[203, 0, 113, 0], 24, "reserved"],
  [[224, 0, 0, 0], 4, "multicast"],
  [[240, 0, 0, 0], 4, "reserved"],
];

function classifyV4(b: number[]): AddressClass {
  for (const [net, bits, cls] of v4Table) if (inV4(b, net, bits)) return cls;
  return "public";
}

function classifyV6(g: number[]): AddressClass {
  const zeroPrefix = (n: number) => g.slice(0, n).every((x) => x === 0);
  const tailV4 = [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255];
  if (g.every((x) => x === 0)) return "unspecified";
  if (zeroPrefix(7) && g[7] === 1) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96) carry an IPv4 target.
  if (zeroPrefix(5) && g[5] === 0xffff) return classifyV4(tailV4);
  if (zeroPrefix(6)) return classifyV4(tailV4);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return classifyV4(tailV4);
  }
  if (g[0] === 0x2002) return classifyV4([g[1] >> 8, g[1] & 255, g[2] >> 8, g[2] & 255]);
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && g.slice(2, 7).every((x) => x === 0) && g[7] === 0x254) {
    return "metadata";
  }
  if ((g[0] & 0xfe00) === 0xfc00) return "private";
  if ((g[0] & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0] & 0xffc0) === 0xfec0) return "private";
  if ((g[0] & 0xff00) === 0xff00) return "multicast";
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "reserved";
  if ((g[0] & 0xe000) !== 0x2000) return "reserved";
  return "public";
}

/** What kind of address `ip` is (IPv4, IPv6, bracketed or not). Only "public" may be sent to. */
export function classifyAddress(ip: string): AddressClass {
  const v4 = parseIPv4(ip);
  if (v4) return classifyV4(v4);
  const v6 = ip.includes(":") ? parseIPv6(ip) : null;
  return v6 ? classifyV6(v6) : "invalid";
}

export type Resolver = (host: string) => Promise<string[]>;

/** A lookup slower than this counts as a failure to resolve. */
const DNS_TIMEOUT_MS = 5_000;

/** A and AAAA records through Deno.resolveDns; a name that resolves to nothing is an error. */
const dnsResolver: Resolver = async (host) => {
  const signal = AbortSignal.timeout(DNS_TIMEOUT_MS);
  const results = await Promise.allSettled([
    Deno.resolveDns(host, "A", { signal }),
    Deno.resolveDns(host, "AAAA", { signal }),
  ]);
  const addresses = results.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
  if (addresses.length === 0) throw new Error(`${host} does not resolve`);
  return addresses;
};

export interface TargetCheck {
  ok: boolean;
  reason?: string;
  /** The checked address to connect to; absent when the override lets any target through. */
  address?: string;
}

export interface TargetCheckOptions {
  allowPrivate: boolean;
  /** Default: `dnsResolver`. */
  resolve?: Resolver;
  /** Default: `classifyAddress`; tests pass another to send to loopback as if it were public. */
  classify?: (ip: string) => AddressClass;
}

/** Refuses non-http(s) URLs, and hosts that are or resolve to anything but public addresses. */
export async function checkTarget(url: string, opts: TargetCheckOptions): Promise<TargetCheck> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, reason: "not a valid URL" };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return { ok: false, reason: "must be http:// or https://" };
  }
  if (u.username || u.password) {
    return { ok: false, reason: "must not carry user:password; use credentials" };
  }
  if (opts.allowPrivate) return { ok: true };
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const literal = parseIPv4(host) || host.includes(":");
  if (!literal && (host === "localhost" || host.endsWith(".localhost"))) {
    return { ok: false, reason: `${host} is a loopback name` };
  }
  let addresses: string[];
  try {
    addresses = literal ? [host] : await (opts.resolve ?? dnsResolver)(host);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const classify = opts.classify ?? classifyAddress;
  for (const a of addresses) {
    const cls = classify(a);
    if (cls !== "public") {
      return {
        ok: false,
        reason: `${host} ${literal ? "is" : `resolves to ${a}, which is`} a ${cls} address`,
      };
    }
  }
  return { ok: true, address: addresses[0] };
}
