/** The one way tests wait: for a condition, polled, with a deadline and a message saying what for. */
import { sleep } from "../functions/_shared/clock.ts";

/** Polls `fn` every 50 ms until it returns a truthy value, which it returns; throws after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(50);
  }
}

/** Asserts that `fn` stays true for `ms` (polled every 50 ms): for what must not happen. */
export async function staysTrue(
  what: string,
  fn: () => boolean | Promise<boolean>,
  ms: number,
): Promise<void> {
  const until = Date.now() + ms;
  do {
    if (!(await fn())) throw new Error(`no longer true within ${ms} ms: ${what}`);
    await sleep(Math.min(50, Math.max(0, until - Date.now())));
  } while (Date.now() < until);
  if (!(await fn())) throw new Error(`no longer true within ${ms} ms: ${what}`);
}
