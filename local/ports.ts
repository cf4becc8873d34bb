/** Ports on 127.0.0.1: one that is free, and waiting until one listens. */
import { sleep } from "../functions/_shared/clock.ts";

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): number {
  return freePorts(1)[0];
}

/**
 * `n` distinct ports that were free a moment ago: all held open until all are picked, since one
 * closed before the next is asked for can be handed out again (two services then on one port).
 */
export function freePorts(n: number): number[] {
  const listeners = Array.from(
    { length: n },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of listeners) l.close();
  return ports;
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
