/**
 * Processes that `npm start` runs stop when it does, even when it is killed outright: it gives
 * them a pipe on stdin and sets SWITCHYARD_EXIT_WITH_PARENT=1; end of file on stdin means the
 * parent is gone, and the process stops as if sent SIGTERM. Deployed processes never set it.
 */
export function exitWithParent(flag = Deno.env.get("SWITCHYARD_EXIT_WITH_PARENT")) {
  if (flag !== "1") return;
  void (async () => {
    try {
      for await (const _ of Deno.stdin.readable) { /* the parent never writes */ }
    } catch { /* closed */ }
    Deno.kill(Deno.pid, "SIGTERM");
  })();
}
