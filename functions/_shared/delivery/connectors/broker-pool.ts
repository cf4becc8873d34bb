/**
 * Broker connections shared by the deliveries of one endpoint in this process: opened on first
 * use (after the SSRF guard passed the broker's host), reused while deliveries keep coming, closed
 * once idle or broken. Also the deadline every broker call runs under.
 */
import type { AppContext } from "../../context.ts";
import { checkTarget } from "../ssrf.ts";
import { withDeadline } from "../../deadline.ts";
import { type BrokerTarget, guardUrl } from "./broker-target.ts";

/** A connection (and whatever channel it needs) to one broker. */
export interface BrokerLink {
  /** True once the broker or the network closed it; the pool then opens a new one. */
  readonly closed: boolean;
  /** A polite close (the protocol's goodbye), given CLOSE_MS before `destroy`. */
  close(): Promise<void>;
  /** Drops the socket at once. */
  destroy(): void;
}

/** How long a polite close may take before the socket is simply dropped. */
const CLOSE_MS = 2_000;

/** The SSRF guard refused the broker's address: retrying cannot help. */
export class BrokerRefusedError extends Error {
  constructor(reason: string) {
    super(`target refused: ${reason}`);
    this.name = "BrokerRefusedError";
  }
}

/** A connection opening within `ms`; one that arrives after the deadline is closed, not leaked. */
export function openWithin<C extends { close(): Promise<unknown> }>(
  opening: Promise<C>,
  ms: number,
  what: string,
): Promise<C> {
  return withDeadline(opening, ms, what, () => {
    opening.then((c) => c.close()).catch(() => {});
  });
}

interface Entry {
  link: Promise<BrokerLink>;
  users: number;
  idle?: ReturnType<typeof setTimeout>;
}

const entries = new Map<string, Entry>();

/** Closes `link` within CLOSE_MS: a broker that is gone never answers the goodbye. */
function shut(link: Promise<BrokerLink>): Promise<void> {
  return link.then((l) => {
    if (l.closed) return l.destroy();
    return withDeadline(l.close(), CLOSE_MS, "broker close").catch(() => l.destroy());
  }).catch(() => {});
}

/** How long an unused connection stays open: long enough to carry a burst and its retries. */
export const IDLE_CLOSE_MS = 10_000;

/**
 * Runs `use` on the pooled link for `key`, opening it with `open` when there is none (concurrent
 * callers share one opening). A link that failed to open is forgotten, so the next call retries.
 */
export async function withLink<L extends BrokerLink, R>(
  ctx: AppContext,
  key: string,
  target: BrokerTarget,
  open: () => Promise<L>,
  use: (link: L) => Promise<R>,
  { idleMs = IDLE_CLOSE_MS }: { idleMs?: number } = {},
): Promise<R> {
  for (;;) {
    let entry = entries.get(key);
    if (!entry) {
      const link = guard(ctx, target).then(open);
      const created: Entry = { link, users: 0 };
      entry = created;
      entries.set(key, created);
      link.catch(() => {
        if (entries.get(key) === created) entries.delete(key);
      });
    }
    // Counted before the first await, so the idle timer cannot close it under us.
    entry.users++;
    if (entry.idle !== undefined) clearTimeout(entry.idle);
    entry.idle = undefined;
    let link: L;
    try {
      link = await entry.link as L;
    } catch (err) {
      release(key, entry, idleMs);
      throw err;
    }
    if (link.closed) {
      if (entries.get(key) === entry) entries.delete(key);
      release(key, entry, idleMs);
      continue;
    }
    try {
      return await use(link);
    } finally {
      release(key, entry, idleMs);
    }
  }
}

function release(key: string, entry: Entry, idleMs: number): void {
  entry.users--;
  if (entry.users > 0 || entries.get(key) !== entry) return;
  const idle = setTimeout(() => {
    if (entry.users > 0 || entries.get(key) !== entry) return;
    entries.delete(key);
    void shut(entry.link);
  }, idleMs);
  // An idle connection must not keep a finished process (or function instance) alive.
  Deno.unrefTimer(idle);
  entry.idle = idle;
}

/** Drops `key`'s link if it is still `link` (after a timeout its state is unknown) and closes it. */
export function discardLink(key: string, link: BrokerLink): void {
  const entry = entries.get(key);
  if (!entry) return;
  void entry.link.then((l) => {
    if (l !== link) return;
    if (entries.get(key) === entry) entries.delete(key);
    if (entry.idle !== undefined) clearTimeout(entry.idle);
    return shut(entry.link);
  }).catch(() => {});
}

/** Closes every pooled broker connection (shutdown, tests). */
export async function closeBrokerLinks(): Promise<void> {
  const all = [...entries.values()];
  entries.clear();
  await Promise.all(all.map(async (e) => {
    if (e.idle !== undefined) clearTimeout(e.idle);
    await shut(e.link);
  }));
}

/** How many broker connections are pooled (open or opening) right now. */
export function pooledLinks(): number {
  return entries.size;
}

async function guard(ctx: AppContext, target: BrokerTarget): Promise<void> {
  const check = await checkTarget(guardUrl(target), {
    allowPrivate: ctx.config.SWITCHYARD_ALLOW_PRIVATE_TARGETS,
  });
  if (!check.ok) throw new BrokerRefusedError(check.reason ?? "not allowed");
}
