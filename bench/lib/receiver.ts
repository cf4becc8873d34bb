/** A benchmark's receiver in its own process, as a target system would be: `<module> --receiver` prints its port. */
export async function spawnReceiver(moduleUrl: string) {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", new URL(moduleUrl).pathname, "--receiver"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  return {
    url: `http://127.0.0.1:${value!.trim()}`,
    async stop() {
      process.kill("SIGTERM");
      await process.status;
    },
  };
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export const epochNow = () => performance.timeOrigin + performance.now();

/**
 * The receiver process's side: serves on a free port (printed), answers GET /stats (requests
 * counted), /arrivals (first arrival per event id), /reset. `answer` may answer a POST itself
 * (a failure, a late answer); when it returns null the POST is counted and answered 200.
 */
export async function serveReceiver(
  answer: (path: string) => Promise<Response | null> | Response | null = () => null,
): Promise<never> {
  let count = 0;
  let arrived: Record<string, number> = {};
  const srv = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(port),
  }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/stats") return Response.json({ count });
    if (path === "/arrivals") return Response.json(arrived);
    if (path === "/reset") {
      count = 0;
      arrived = {};
      return new Response("ok");
    }
    const body = await req.json() as { id: string };
    const answered = await answer(path);
    if (answered) return answered;
    count++;
    arrived[body.id] ??= epochNow();
    return new Response("ok");
  });
  await srv.finished;
  Deno.exit(0);
}
