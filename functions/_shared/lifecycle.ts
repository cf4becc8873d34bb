/**
 * How a long-running process stops: on SIGINT or SIGTERM, or when the `npm start` that runs it is
 * gone (even killed outright: it gives its children a pipe on stdin and sets
 * SWITCHYARD_EXIT_WITH_PARENT=1; end of file on stdin means the parent is gone). Deployed
 * processes never set it.
 */

/** Stops the process as if sent SIGTERM once stdin ends, when `flag` is "1". */
export function exitWithParent(flag = Deno.env.get("SWITCHYARD_EXIT_WITH_PARENT")) {
  if (flag !== "1") return;
  void (async () => {
    try {
      for await (const _ of Deno.stdin.readable) { /* the parent never writes */ }
    } catch { /* closed */ }
    Deno.kill(Deno.pid, "SIGTERM");
  })();
}

/**
 * The first SIGINT/SIGTERM (or the parent's end) aborts the returned signal and runs `stop`, then
 * exits 0 (1 if it threw); a `stop` that takes longer than `graceMs` exits 1, so nothing stuck keeps it alive.
 */
export function stopOnShutdown(
  stop: () => Promise<void>,
  { graceMs = 15_000 }: { graceMs?: number } = {},
): AbortSignal {
  const shutdown = new AbortController();
  const onSignal = async () => {
    if (shutdown.signal.aborted) return;
    shutdown.abort();
    const deadline = setTimeout(() => Deno.exit(1), graceMs);
    let code = 0;
    try {
      await stop();
    } catch (err) {
      console.error(`stopping failed: ${(err as Error).message}`);
      code = 1;
    }
    clearTimeout(deadline);
    Deno.exit(code);
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, onSignal);
  exitWithParent();
  return shutdown.signal;
}
