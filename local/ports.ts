/** Ports on 127.0.0.1: one that is free, and waiting until one listens. */
import { sleep } from "../functions/_shared/clock.ts";

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Resolves once something accepts TCP connections on host:port, or throws after timeoutMs. */
export async function waitForPort(port: number, timeoutMs = 30_000, hostname = "127.0.0.1") {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname, port });
      conn.close();
      return;
    } catch {
      if (Date.now() > deadline) {
        throw new Error(`nothing listens on ${hostname}:${port} after ${timeoutMs} ms`);
      }
      await sleep(50);
    }
  }
}
