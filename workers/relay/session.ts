/**
 * One relay session: take the relay lock, make sure the permanent slot exists (creating it, and
 * handing over from the log what it cannot stream, when it is missing or was lost), then stream
 * from the slot until a connection drops or we are told to stop.
 */
import type { Duplex } from "node:stream";
import postgres from "postgres";
import type { Config } from "../../functions/_shared/config.ts";
import type { Logger } from "../../functions/_shared/log.ts";
import type { Clock } from "../../functions/_shared/clock.ts";
import { rowToEvent } from "../../functions/_shared/events/envelope.ts";
import { handOver, type HandoverTarget } from "./send-batch.ts";
import { StreamConsumer } from "./consumer.ts";
import { formatLsn, type Lsn, parseLsn } from "./pgoutput.ts";
import { catchUpCursor, dropSlot, markSlot, slotInfo, takeRelayLock } from "./queries.ts";

const PUBLICATION = "switchyard_events";
const APPLICATION = "switchyard-relay";

export interface RelayDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  target: HandoverTarget;
}

/** Runs until a connection fails (rejects) or `shutdown` aborts (resolves). `onStreaming` fires once streaming. */
export async function runSession(
  deps: RelayDeps,
  shutdown: AbortSignal,
  onStreaming: () => void,
): Promise<void> {
  const { config, log } = deps;
  const slot = config.RELAY_SLOT;
  const session = new AbortController();
  // Each session replays from the last acknowledged position, so hand-overs are tagged per session.
  const target = {
    ...deps.target,
    relayId: `${deps.target.relayId}/${crypto.randomUUID().slice(0, 8)}`,
  };
  const end = (reason: string) => session.signal.aborted || session.abort(new Error(reason));
  const onShutdown = () => end("shutting down");
  shutdown.addEventListener("abort", onShutdown, { once: true });
  const { lockSql, repl, closeAll } = connect(config.DATABASE_URL, end);
  session.signal.addEventListener("abort", () => void closeAll(), { once: true });
  let consumer: StreamConsumer | undefined;
  try {
    await takeRelayLock(
      lockSql,
      slot,
      () => log.info("another relay holds the lock; waiting", { slot }),
    );
    log.info("relay lock taken", { slot });
    const startLsn = await prepareSlot({ ...deps, target }, lockSql, repl, session.signal);
    consumer = await startStreaming({ ...deps, target }, repl, startLsn, session.signal, end);
    log.info("streaming", { slot, from: formatLsn(startLsn) });
    onStreaming();
    await new Promise((resolve) =>
      session.signal.addEventListener("abort", resolve, { once: true })
    );
  } catch (err) {
    end((err as Error).message);
  } finally {
    consumer?.stop();
    shutdown.removeEventListener("abort", onShutdown);
    await closeAll();
  }
  if (!shutdown.aborted) throw session.signal.reason;
}

/** The session's two connections, one holding the relay lock and one streaming: either closing ends it. */
function connect(url: string, end: (reason: string) => void) {
  const common = {
    max: 1,
    max_lifetime: null,
    idle_timeout: 0,
    connect_timeout: 5,
    fetch_types: false,
    onnotice: () => {},
  } as const;
  const lockSql = postgres(url, {
    ...common,
    connection: { application_name: APPLICATION },
    onclose: () => end("lock connection closed"),
  });
  const repl = postgres(url, {
    ...common,
    transform: { column: {}, value: {}, row: {} },
    connection: { application_name: APPLICATION, replication: "database", TimeZone: "UTC" },
    onclose: () => end("replication connection closed"),
  });
  const closeAll = () =>
    Promise.allSettled([repl.end({ timeout: 0 }), lockSql.end({ timeout: 0 })]);
  return { lockSql, repl, closeAll };
}

/** Streams the slot from `startLsn` into a consumer that hands batches to the pipeline. */
async function startStreaming(
  deps: RelayDeps,
  repl: postgres.Sql,
  startLsn: Lsn,
  signal: AbortSignal,
  end: (reason: string) => void,
): Promise<StreamConsumer> {
  const { config } = deps;
  // postgres.js types the CopyBoth stream as Writable; it is a Duplex (see its subscribe.js).
  const stream = await repl.unsafe(
    `START_REPLICATION SLOT ${config.RELAY_SLOT} LOGICAL ${
      formatLsn(startLsn)
    } (proto_version '1', publication_names '${PUBLICATION}')`,
  ).writable() as unknown as Duplex;
  const io = {
    write: (m: Uint8Array) => void stream.write(m),
    pause: () => void stream.pause(),
    resume: () => void stream.resume(),
    handOver: (events: Parameters<typeof handOver>[1]) => handOver(deps.target, events, signal),
    now: () => deps.clock.now(),
    onError: (err: Error) => end(`stream failed: ${err.message}`),
  };
  const consumer = new StreamConsumer(
    io,
    startLsn,
    config.RELAY_BATCH_SIZE,
    config.RELAY_BATCH_WAIT_MS,
  );
  stream.on("data", (chunk: Uint8Array) => consumer.onData(chunk));
  stream.on("error", (err: Error) => end(`replication stream error: ${err.message}`));
  stream.on("close", () => end("replication stream closed"));
  return consumer;
}

/** The LSN to stream from: the slot's confirmed position, or the new slot's consistent point after a catch-up. */
async function prepareSlot(
  deps: RelayDeps,
  lockSql: postgres.Sql,
  repl: postgres.Sql,
  signal: AbortSignal,
): Promise<Lsn> {
  const { log, config } = deps;
  const slot = config.RELAY_SLOT;
  const info = await slotInfo(lockSql, slot);
  if (info && info.walStatus === "lost") {
    log.warn(
      "replication slot was lost (the relay was down past max_slot_wal_keep_size); re-creating it and catching up from the log",
      { slot },
    );
    await dropSlot(lockSql, slot);
  } else if (info && !info.ready) {
    log.warn("replication slot's catch-up never finished; re-creating it", { slot });
    await dropSlot(lockSql, slot);
  } else if (info) {
    await markSlot(lockSql, slot, true);
    return parseLsn(info.confirmedFlush!);
  }
  await markSlot(lockSql, slot, false);
  const [created] = await repl.unsafe<{ consistent_point: string; snapshot_name: string }[]>(
    `CREATE_REPLICATION_SLOT ${slot} LOGICAL pgoutput EXPORT_SNAPSHOT`,
  );
  // The exported snapshot is exactly what the slot will not stream: hand it over from the table.
  let handed = 0;
  await lockSql.begin("isolation level repeatable read read only", async (tx) => {
    await tx.unsafe(`set transaction snapshot '${created.snapshot_name}'`);
    for await (const rows of catchUpCursor(tx, config.RELAY_BATCH_SIZE)) {
      if (!(await handOver(deps.target, rows.map(rowToEvent), signal))) {
        throw new Error("stopped during catch-up");
      }
      handed += rows.length;
    }
  });
  await markSlot(lockSql, slot, true);
  log.info("replication slot created", {
    slot,
    consistentPoint: created.consistent_point,
    caughtUp: handed,
  });
  return parseLsn(created.consistent_point);
}
