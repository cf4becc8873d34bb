/**
 * `npm run bench -- ingest-soak [--rate=5000] [--seconds=60] [--clients=16]`: the event-ingest
 * example's load generator against the functions in a child process, with the relay streaming
 * beside them as in production (`--relay=0`: without), on a durable Postgres. Prints the achieved rate, request latency
 * and accepted vs stored counts; fails when any acknowledged event is missing.
 */
import { benchSeconds, report } from "./stats.ts";
import { freePort, waitForPort } from "../local/ports.ts";
import { startBridge } from "../local/bridge.ts";
import { spawn } from "../local/process.ts";
import { seedTenant, SERVICE_KEY, testDatabase } from "../tests/harness.ts";
import { generateLoad } from "../examples/event-ingest/load-generator.ts";

const arg = (name: string, fallback: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const RATE = arg("rate", 5_000);
const SECONDS = benchSeconds(60);
const CLIENTS = arg("clients", 16);
/** `--relay=0` leaves the relay (and so the pipeline's work) out, to see what ingest alone reaches. */
const RELAY = arg("relay", 1) !== 0;
/** `--dedup=0` sends no dedup keys: faster appends, but a resent batch could be stored twice. */
const DEDUP = arg("dedup", 1) !== 0;
const root = new URL("..", import.meta.url).pathname;

const db = await testDatabase();
const bridge = await startBridge({
  port: freePort(),
  redisPort: Number(Deno.env.get("SWITCHYARD_TEST_REDIS_PORT")),
  token: "soak-token",
});
const port = freePort();
const env = {
  PATH: Deno.env.get("PATH") ?? "",
  DATABASE_URL: db.url,
  SUPABASE_URL: `http://127.0.0.1:${port}`,
  SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
  UPSTASH_REDIS_REST_URL: bridge.url,
  UPSTASH_REDIS_REST_TOKEN: bridge.token,
  SWITCHYARD_PORT: String(port),
  RELAY_SLOT: `relay_${db.name}`,
  INGEST_TENANT_RATE: String(RATE * 4),
  INGEST_IP_RATE: "100000",
  LOG_LEVEL: "warn",
};
const children = [
  await spawn("functions", Deno.execPath(), {
    args: ["run", "-A", `${root}local/serve.ts`],
    env,
    output: "inherit",
  }),
];
try {
  await waitForPort(port);
  if (RELAY) {
    children.push(
      await spawn("relay", Deno.execPath(), {
        args: ["run", "-A", `${root}workers/relay/main.ts`],
        env,
        output: "inherit",
      }),
    );
  }
  const { slug, key } = await seedTenant(db.sql, "soak");
  const base = `http://127.0.0.1:${port}/functions/v1`;
  const run = await generateLoad({
    base,
    key,
    rate: RATE,
    seconds: SECONDS,
    clients: CLIENTS,
    dedup: DEDUP,
  });
  const [{ stored }] = await db.sql<{ stored: number }[]>`
    select count(*)::int as stored from switchyard.events where tenant = ${slug} and metadata->>'run' = ${run.runId}`;
  const [relay] = await db.sql<
    { handed: number }[]
  >`select handed_over::int as handed from switchyard.relay_state`;

  console.log(
    `\ningest-soak: ${CLIENTS} clients, batches of 100, target ${RATE} events/s for ${SECONDS} s, durable commits, relay ${
      RELAY ? "streaming" : "off"
    }, ${DEDUP ? "a dedup key on every event" : "no dedup keys"}`,
  );
  await report("ingest-soak", [{
    "target events/s": RATE,
    "achieved events/s": Math.round(run.eventsPerSecond),
    "request p50 ms": run.latency.p50,
    "request p99 ms": run.latency.p99,
    accepted: run.accepted,
    stored,
    lost: run.accepted - stored,
    retries: run.retries,
    "relay handed over": relay?.handed ?? 0,
  }], {
    rate: RATE,
    seconds: SECONDS,
    clients: CLIENTS,
    relay: RELAY,
    dedup: DEDUP,
    loadavg: Deno.loadavg(),
    figures: [{
      what: `ingest soak at ${RATE} events/s, relay ${RELAY ? "on" : "off"}`,
      value: Math.round(run.eventsPerSecond),
      unit: "events/s",
      target: `${RATE} sustained, nothing lost`,
      met: run.eventsPerSecond >= RATE * 0.98 && stored === run.accepted,
    }],
  });
  const met = run.eventsPerSecond >= RATE * 0.98;
  console.log(
    `machine load average during the run: ${
      Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
    } on ${navigator.hardwareConcurrency} cores`,
  );
  console.log(
    `target: ${RATE} events/s sustained (${met ? "met" : "NOT met"}), nothing lost (${
      stored === run.accepted ? "met" : "NOT met"
    })`,
  );
  if (stored !== run.accepted) Deno.exitCode = 1;
} finally {
  for (const child of children.reverse()) await child.stop();
  await bridge.stop();
  await db.drop();
}
