/**
 * pg-boss as a delivery peer: one queue in its own schema of the benchmark's database, a job per
 * delivery, workers doing the same signed POST (signed-post.ts). Tuned for throughput as its docs
 * suggest: batches, several local workers, LISTEN/NOTIFY wake-ups and burst fetching while
 * batches come back full.
 */
import { PgBoss } from "pg-boss";
import { type DeliveryJob, signedPost } from "./signed-post.ts";

const QUEUE = "deliver";

export interface Peer {
  /** Enqueues jobs (in chunks of 500). */
  add(jobs: DeliveryJob[]): Promise<void>;
  /** Starts the workers (jobs added before wait until then). */
  work(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPgBoss(
  connectionString: string,
  opts: { concurrency?: number; batchSize?: number } = {},
): Promise<Peer> {
  const boss = new PgBoss({
    connectionString,
    schema: "pgboss_bench",
    max: 20,
    useListenNotify: true,
    supervise: false,
    schedule: false,
  });
  boss.on("error", (err) => console.error(`pg-boss: ${err.message}`));
  await boss.start();
  await boss.createQueue(QUEUE, { notify: true });
  const batchSize = opts.batchSize ?? 25;
  return {
    async add(jobs) {
      for (let i = 0; i < jobs.length; i += 500) {
        await boss.insert(QUEUE, jobs.slice(i, i + 500).map((data) => ({ data })));
      }
    },
    async work() {
      await boss.work<DeliveryJob>(QUEUE, {
        batchSize,
        localConcurrency: Math.max(1, Math.round((opts.concurrency ?? 50) / batchSize)),
        pollingIntervalSeconds: 0.5,
        burstWhenBatchFull: true,
      }, async (jobs) => {
        await Promise.all(jobs.map((j) => signedPost(j.data)));
      });
    },
    async stop() {
      await boss.stop({ graceful: false });
    },
  };
}
