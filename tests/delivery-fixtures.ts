/** What the delivery tests share: append events and route them as the pipeline's hand-over does. */
import type { Sql } from "../functions/_shared/db.ts";
import { appendEvents, type NewEvent } from "../functions/_shared/events/append.ts";
import {
  envelopeSelect,
  type EventRow,
  type LoggedEvent,
  rowToEvent,
} from "../functions/_shared/events/envelope.ts";
import { routeEvents } from "../functions/_shared/delivery/route.ts";
import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack, type TestStack } from "./harness.ts";
import { type Receiver, startReceiver } from "./receiver.ts";
import type { AppContext } from "../functions/_shared/context.ts";
import {
  configureDeliveries,
  type DeliveryOptions,
  stopDeliveries,
} from "../functions/_shared/pipeline/deliver.ts";
import { createDeliveriesJob } from "../workers/scheduler/jobs/deliveries.ts";
import { runJobs } from "../workers/scheduler/runner.ts";

/**
 * Deliveries as the stack runs them: the scheduler's deliveries job (in this process, no grace for
 * first attempts, since nothing else starts them here) waking the functions served with `ctx`.
 */
export function runScheduledDeliveries(ctx: AppContext, opts: DeliveryOptions = {}) {
  configureDeliveries(ctx, opts);
  const running = runJobs(ctx, [createDeliveriesJob({ firstTryGraceMs: 0 })]);
  return {
    async stop() {
      await running.stop();
      await stopDeliveries(ctx);
    },
  };
}

/** Appends `events`, then routes them in one transaction; returns the logged events in order. */
export async function emitAndRoute(
  sql: Sql,
  events: NewEvent[],
): Promise<{ events: LoggedEvent[]; routed: number }> {
  const appended = await appendEvents(sql, events);
  const rows = await sql<EventRow[]>`
    select ${sql.unsafe(envelopeSelect)} from switchyard.events e where e.id = any(${
    appended.map((a) => a.id)
  }::text[]) order by e.seq`;
  const logged = rows.map(rowToEvent);
  const routed = await sql.begin((tx) => routeEvents(tx, logged));
  return { events: logged, routed };
}

export const orderEvent = (
  tenant: string,
  id: string,
  type = "order.confirmed",
  data: Record<string, unknown> = {},
): NewEvent => ({
  tenant,
  type,
  entity: { type: "order", id },
  data: { status: "CONFIRMED", total: 42, ...data },
});

export interface DeliveryStack {
  stack: TestStack;
  receiver: Receiver;
  slug: string;
  admin: ReturnType<typeof client>;
  sql: Sql;
  /** Registers an endpoint for the tenant (defaults: the receiver, every event); asserts 201. */
  // deno-lint-ignore no-explicit-any
  endpoint(body?: Record<string, unknown>): Promise<any>;
}

/** A stack, a tenant, a receiver and (unless `worker: false`) scheduled deliveries; all closed after `fn`. */
export async function withDeliveryStack(
  opts: { worker?: boolean | DeliveryOptions; env?: Record<string, string> },
  fn: (t: DeliveryStack) => Promise<void>,
): Promise<void> {
  const stack = await startStack({ store: "memory", env: opts.env });
  const receiver = startReceiver();
  const worker = opts.worker === false
    ? null
    : runScheduledDeliveries(stack.ctx, opts.worker === true || !opts.worker ? {} : opts.worker);
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const admin = client(stack.base, SERVICE_KEY);
    const endpoint = async (body: Record<string, unknown> = {}) => {
      const res = await admin("POST", "/admin/endpoints", {
        tenant: slug,
        url: receiver.url,
        events: ["*"],
        ...body,
      });
      assert.equal(res.status, 201, res.text);
      return res.json;
    };
    await fn({ stack, receiver, slug, admin, sql: stack.db.sql, endpoint });
  } finally {
    await worker?.stop();
    await receiver.close();
    await stack.close();
  }
}
