/**
 * Deliveries and deferred conciliations inside function invocations. Each function instance (one
 * context) has one delivery worker; an invocation starts its drain, or joins the one running and
 * makes it look again, so the invocation that routes an event starts its first attempts at once
 * and the scheduler's wake-ups only matter for retries and deferred work.
 */
import type { AppContext } from "../context.ts";
import { DeliveryWorker, type WorkerOptions } from "../delivery/worker.ts";
import { conciliateDue } from "../dtos/conciliator.ts";
import { nextDueAt } from "../dtos/conciliation-queue.ts";
import type { ConciliationPolicy } from "../dtos/policy.ts";
import { sleep } from "../clock.ts";

/** A drain stops claiming after this long (edge invocations have a wall-clock limit); the scheduler wakes the next one. */
export const DRAIN_BUDGET_MS = 20_000;
const CONCILIATION_BATCH = 50;
/** Pauses before a drain that ended with something due looks again. */
const LOOK_AGAIN_MS = [25, 100, 400];

export interface DeliveryOptions extends WorkerOptions {
  /** How long a drain claims before it leaves the claiming to a newer one. Default: DRAIN_BUDGET_MS. */
  drainBudgetMs?: number;
  /** Pauses before a drain that ended with something due looks again. Default: LOOK_AGAIN_MS. */
  lookAgainMs?: number[];
}

interface Instance {
  worker: DeliveryWorker;
  opts: DeliveryOptions;
  /** The drain that claims, if any. */
  running: Promise<number> | null;
  again: boolean;
  /** Ends the pause before a drain looks again: something new may be due. */
  pause: AbortController | null;
  /** Drains past their budget, waiting for their last sends while a newer one claims. */
  finishing: Set<Promise<number>>;
}

const instances = new WeakMap<AppContext, Instance>();
const tuned = new WeakMap<AppContext, DeliveryOptions>();

/** Options for this context's deliveries (tests and benchmarks); call before the first invocation. */
export function configureDeliveries(ctx: AppContext, opts: DeliveryOptions): void {
  tuned.set(ctx, opts);
  instances.delete(ctx);
}

function instanceFor(ctx: AppContext): Instance {
  let i = instances.get(ctx);
  if (!i) {
    const opts = {
      leaseMarginMs: ctx.config.DELIVERY_LEASE_MARGIN_MS,
      ...tuned.get(ctx),
    };
    instances.set(
      ctx,
      i = {
        worker: new DeliveryWorker(ctx, opts),
        opts,
        running: null,
        again: false,
        pause: null,
        finishing: new Set(),
      },
    );
  }
  return i;
}

/** Sends what is due in this instance; resolves to ms until the next due delivery (Infinity: none). */
export function deliverDue(ctx: AppContext): Promise<number> {
  const i = instanceFor(ctx);
  if (i.running) {
    // The drain may be past its last claim: it runs once more when it ends.
    i.again = true;
    i.worker.wake();
    i.pause?.abort();
    return i.running;
  }
  const worker = i.worker;
  let next: Promise<number> | null = null;
  let looks = 0;
  const round = (): Promise<number> => {
    i.again = false;
    return worker.drain({
      budgetMs: i.opts.drainBudgetMs ?? DRAIN_BUDGET_MS,
      // Past its budget a drain still waits for its sends, a slow endpoint's for their whole
      // timeout: a new worker claims meanwhile, so nobody else waits for them.
      onBudget: () => {
        i.worker = new DeliveryWorker(ctx, i.opts);
        i.finishing.add(running);
        i.running = null;
        if (i.again) next = deliverDue(ctx);
      },
    }).then(async (ms) => {
      if (next) return next.then((n) => Math.min(ms, n));
      const current = !worker.stopped && i.worker === worker;
      if (i.again && current) return round();
      // Due now, yet the drain took nothing more: a claim skips an endpoint another instance is
      // claiming from at that moment, and that claim may not have seen what woke this drain. Look
      // again shortly, a few times; after that it is the scheduler's to wake.
      const pauses = i.opts.lookAgainMs ?? LOOK_AGAIN_MS;
      if (ms === 0 && current && looks < pauses.length) {
        // An invocation meanwhile (a new event routed) ends the pause: it must not wait for it.
        i.pause = new AbortController();
        await sleep(pauses[looks++], i.pause.signal);
        i.pause = null;
        return round();
      }
      return ms;
    });
  };
  const running: Promise<number> = round().finally(() => {
    if (i.running === running) i.running = null;
    i.finishing.delete(running);
  });
  i.running = running;
  return running;
}
/** Keeps `work` running after the response (EdgeRuntime.waitUntil on hosted Supabase); failures are logged. */
export function inBackground(ctx: AppContext, what: string, work: Promise<unknown>): void {
  const guarded = work.catch((err) => ctx.log.error(`${what} failed`, { err }));
  const edge = (globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } })
    .EdgeRuntime;
  edge?.waitUntil(guarded);
}

/** Stops this instance's worker (shutdown): no new claims, what is in flight is recorded. */
export async function stopDeliveries(ctx: AppContext): Promise<void> {
  const i = instances.get(ctx);
  if (!i) return;
  i.worker.stop();
  i.pause?.abort();
  await Promise.all([i.running, ...i.finishing].map((p) => p?.catch(() => {})));
}

const policies = new WeakMap<AppContext, ConciliationPolicy>();

/** The conciliation policy for this context's deferred retries (tests); default: defaultPolicy. */
export function configureConciliations(ctx: AppContext, policy: ConciliationPolicy): void {
  policies.set(ctx, policy);
}

/** Runs the deferred conciliations that are due; resolves to ms until the next one (Infinity: none). */
export async function conciliateDueNow(ctx: AppContext): Promise<number> {
  const policy = policies.get(ctx);
  const until = ctx.clock.now() + DRAIN_BUDGET_MS;
  while (ctx.clock.now() < until) {
    const round = await conciliateDue(ctx, { policy, limit: CONCILIATION_BATCH });
    if (round.conciliated + round.pending + round.exhausted < CONCILIATION_BATCH) break;
  }
  const next = await nextDueAt(ctx.sql);
  return next ? Math.max(0, next.getTime() - ctx.clock.now()) : Infinity;
}
