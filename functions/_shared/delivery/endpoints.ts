/** Endpoints and their subscriptions in Postgres: register, read, enable/disable, rotate the secret. */
import type { AppContext } from "../context.ts";
import type { Sql } from "../db.ts";
import { AppError } from "../errors.ts";
import { getTenant } from "../tenants.ts";
import {
  type EndpointInput,
  endpointInputSchema,
  type EndpointJson,
  endpointJson,
  type EndpointRow,
  type EndpointUpdate,
} from "./endpoint-schema.ts";
import { parseOrThrow } from "../validation.ts";
import { invalidateTraces } from "../events/trace.ts";
import { encryptCredentials } from "./credentials.ts";
import { seal } from "../sealing.ts";
import { newSecret } from "./signing.ts";
import { checkTarget } from "./ssrf.ts";
import { guardUrl, isBrokerKind, parseBrokerTarget } from "./connectors/broker-target.ts";
import { defaultRetrySchedule } from "./backoff.ts";
import { appendEvents } from "../events/append.ts";
import { endpointDeleted, endpointDisabled } from "./events.ts";

const endpointSelect =
  `ep.*, coalesce((select array_agg(s.pattern order by s.id) from switchyard.subscriptions s
  where s.endpoint_id = ep.id), '{}') as events`;

/** The SSRF guard: a 400 naming the url when it points where endpoints may not. */
async function guardTarget(ctx: AppContext, kind: string, url: string): Promise<void> {
  // A broker's host goes through the same guard, as the http URL of its address.
  const broker = isBrokerKind(kind) ? parseBrokerTarget(kind, url) : null;
  const target = await checkTarget(broker?.ok ? guardUrl(broker.target) : url, {
    allowPrivate: ctx.config.SWITCHYARD_ALLOW_PRIVATE_TARGETS,
  });
  if (!target.ok) {
    throw new AppError("validation_failed", "invalid endpoint", [{
      path: "url",
      message: `target refused: ${target.reason}`,
    }]);
  }
}

/** Registers an endpoint with one subscription per pattern; the secret is returned here and on rotation only. */
export async function createEndpoint(
  ctx: AppContext,
  input: EndpointInput,
): Promise<EndpointJson & { secret: string }> {
  if (input.url) await guardTarget(ctx, input.kind, input.url);
  await getTenant(ctx.sql, input.tenant);
  const id = `ep_${crypto.randomUUID().replaceAll("-", "")}`;
  const secret = newSecret();
  const sealedSecret = await seal(ctx.config.SWITCHYARD_ENCRYPTION_KEY, id, secret);
  const sealed = input.credentials
    ? await encryptCredentials(ctx.config.SWITCHYARD_ENCRYPTION_KEY, id, input.credentials)
    : null;
  const row = await ctx.sql.begin(async (tx) => {
    const [ep] = await tx<EndpointRow[]>`
      insert into switchyard.endpoints (id, tenant, name, kind, url, secret, headers, credentials, credentials_type,
        transform, filter, chats, timeout_ms, retry_schedule, ordered, rate_limit_per_second, max_in_flight)
      values (${id}, ${input.tenant}, ${input.name ?? null}, ${input.kind}, ${
      input.url ?? null
    }, ${sealedSecret},
        ${tx.json(input.headers ?? {})}, ${sealed}, ${input.credentials?.type ?? null},
        ${input.transform ? JSON.stringify(input.transform) : null}::text::json, ${
      input.filter ? tx.json(input.filter as never) : null
    },
        ${input.chats ?? []}, ${input.timeoutMs ?? 10_000}, ${
      input.retrySchedule ?? defaultRetrySchedule
    },
        ${input.ordered ?? false}, ${input.rateLimitPerSecond ?? null}, ${
      input.maxInFlight ?? null
    })
      returning *`;
    const patterns = [...new Set(input.events)];
    await tx`
      insert into switchyard.subscriptions (tenant, endpoint_id, pattern, filter)
      select ${input.tenant}, ${id}, p, ${
      input.filter ? tx.json(input.filter as never) : null
    } from unnest(${patterns}::text[]) p`;
    return { ...ep, events: patterns };
  });
  return { ...endpointJson(row), secret };
}

export async function listEndpoints(sql: Sql, tenant?: string): Promise<EndpointJson[]> {
  const rows = await sql<EndpointRow[]>`
    select ${sql.unsafe(endpointSelect)} from switchyard.endpoints ep
    where ep.deleted_at is null and ${
    tenant ? sql`ep.tenant = ${tenant}` : sql`true`
  } order by ep.tenant, ep.created_at, ep.id`;
  return rows.map(endpointJson);
}

export async function getEndpointRow(sql: Sql, id: string): Promise<EndpointRow> {
  const [row] = await sql<EndpointRow[]>`select ${
    sql.unsafe(endpointSelect)
  } from switchyard.endpoints ep where ep.id = ${id} and ep.deleted_at is null`;
  if (!row) throw new AppError("not_found", `endpoint ${id} not found`);
  return row;
}

export async function getEndpoint(sql: Sql, id: string): Promise<EndpointJson> {
  return endpointJson(await getEndpointRow(sql, id));
}

/** Disables; waiting deliveries are held, and the first disabling appends `endpoint.disabled`. */
export async function disableEndpoint(
  sql: Sql,
  id: string,
  reason: string | undefined,
): Promise<EndpointJson> {
  const why = reason ?? "disabled by an operator";
  await getEndpointRow(sql, id); // a deleted endpoint is not found
  const found = await sql.begin(async (tx) => {
    const [row] = await tx<{ tenant: string; disabled_at: Date; was_enabled: boolean }[]>`
      select * from switchyard.disable_endpoint(${id}, ${why})`;
    if (row?.was_enabled) {
      await appendEvents(tx, [
        endpointDisabled(
          { tenant: row.tenant, endpointId: id, reason: why, automatic: false },
          row.disabled_at,
        ),
      ]);
    }
    return !!row;
  });
  if (!found) throw new AppError("not_found", `endpoint ${id} not found`);
  return getEndpoint(sql, id);
}

/** Enables and forgets the failure record; held deliveries start a new round, and the scheduler is woken. */
export async function enableEndpoint(sql: Sql, id: string): Promise<EndpointJson> {
  await getEndpointRow(sql, id); // a deleted endpoint stays deleted
  const [{ found }] = await sql<{ found: boolean }[]>`
    select switchyard.enable_endpoint(${id}) as found`;
  if (!found) throw new AppError("not_found", `endpoint ${id} not found`);
  return getEndpoint(sql, id);
}

/** A new secret; the old one keeps verifying for `overlapSeconds` (receivers switch over meanwhile). */
export async function rotateSecret(ctx: AppContext, id: string, overlapSeconds: number) {
  const secret = newSecret();
  const [row] = await ctx.sql<{ id: string; previous_valid_until: Date }[]>`
    update switchyard.endpoints set previous_secret = secret, secret = ${await seal(
    ctx.config.SWITCHYARD_ENCRYPTION_KEY,
    id,
    secret,
  )},
      previous_valid_until = now() + make_interval(secs => ${overlapSeconds}), updated_at = now()
    where id = ${id} and deleted_at is null returning id, previous_valid_until`;
  if (!row) throw new AppError("not_found", `endpoint ${id} not found`);
  return { id, secret, previousValidUntil: new Date(row.previous_valid_until).toISOString() };
}

/** `null` clears, `undefined` keeps: the value the edited endpoint has (undefined when unset). */
const edited = <T>(given: T | null | undefined, current: T | null | undefined): T | undefined =>
  given === undefined ? current ?? undefined : given ?? undefined;

/**
 * Edits an endpoint in place (same id, same secret): the result is validated as a whole, as
 * `createEndpoint` validates a new one, and a changed url passes the SSRF guard again. New
 * patterns or a new filter replace the subscriptions; deliveries already made are untouched.
 */
export async function updateEndpoint(
  ctx: AppContext,
  id: string,
  patch: EndpointUpdate,
): Promise<EndpointJson> {
  const row = await getEndpointRow(ctx.sql, id);
  const next = parseOrThrow(endpointInputSchema, {
    tenant: row.tenant,
    kind: row.kind,
    name: edited(patch.name, row.name),
    url: edited(patch.url, row.url),
    events: patch.events ?? row.events,
    filter: edited(patch.filter, row.filter),
    transform: edited(patch.transform, row.transform),
    headers: patch.headers ?? row.headers,
    timeoutMs: patch.timeoutMs ?? row.timeout_ms,
    retrySchedule: patch.retrySchedule ?? row.retry_schedule,
    ordered: patch.ordered ?? row.ordered,
    rateLimitPerSecond: edited(patch.rateLimitPerSecond, row.rate_limit_per_second),
    maxInFlight: edited(patch.maxInFlight, row.max_in_flight),
    chats: patch.chats ?? row.chats,
  }, "endpoint");
  if (patch.url) await guardTarget(ctx, row.kind, patch.url);
  const sealed = patch.credentials
    ? await encryptCredentials(ctx.config.SWITCHYARD_ENCRYPTION_KEY, id, patch.credentials)
    : null;
  await ctx.sql.begin(async (tx) => {
    const [updated] = await tx<{ id: string }[]>`
      update switchyard.endpoints set name = ${next.name ?? null}, url = ${next.url ?? null},
        headers = ${tx.json(next.headers ?? {})},
        transform = ${next.transform ? JSON.stringify(next.transform) : null}::text::json,
        filter = ${next.filter ? tx.json(next.filter as never) : null},
        chats = ${next.chats ?? []}, timeout_ms = ${next.timeoutMs ?? 10_000},
        retry_schedule = ${next.retrySchedule ?? defaultRetrySchedule},
        ordered = ${next.ordered ?? false}, rate_limit_per_second = ${
      next.rateLimitPerSecond ?? null
    }, max_in_flight = ${next.maxInFlight ?? null},
        ${
      patch.credentials === undefined
        ? tx``
        : tx`credentials = ${sealed}, credentials_type = ${patch.credentials?.type ?? null},`
    }
        updated_at = now()
      where id = ${id} and deleted_at is null returning id`;
    if (!updated) throw new AppError("not_found", `endpoint ${id} not found`);
    if (patch.events || patch.filter !== undefined) {
      await tx`delete from switchyard.subscriptions where endpoint_id = ${id}`;
      await tx`
        insert into switchyard.subscriptions (tenant, endpoint_id, pattern, filter)
        select ${row.tenant}, ${id}, p, ${next.filter ? tx.json(next.filter as never) : null}
        from unnest(${[...new Set(next.events)]}::text[]) p`;
    }
  });
  return getEndpoint(ctx.sql, id);
}

export interface DeletedEndpoint {
  id: string;
  tenant: string;
  deletedAt: string;
  /** Pending deliveries now `cancelled`, with the reason in their `lastError`. */
  cancelledDeliveries: number;
  /** Open dead letters taken off the queue: there is nothing left to replay them to. */
  closedDeadLetters: number;
}

/**
 * Deletes an endpoint: it stops receiving at once and leaves every list, but its row stays so the
 * delivery history keeps pointing at it. Its pending deliveries become `cancelled` (reason in
 * `lastError`, shown on the entity's timeline); a claim in flight records nothing afterwards,
 * because outcomes are recorded for pending deliveries only.
 */
export async function deleteEndpoint(
  ctx: AppContext,
  id: string,
  reason?: string,
): Promise<DeletedEndpoint> {
  const why = `cancelled: endpoint ${id} was deleted${reason ? ` (${reason})` : ""}`;
  const row = await ctx.sql.begin(async (tx) => {
    const [row] = await tx<
      (DeletedEndpoint & { entities: { type: string; id: string }[] })[]
    >`
    with ep as (
      update switchyard.endpoints set deleted_at = now(), enabled = false,
        disabled_reason = 'deleted', disabled_at = coalesce(disabled_at, now()),
        failure_streak = 0, failing_since = null, breaker_open_until = null, failed_rounds = 0,
        updated_at = now()
      where id = ${id} and deleted_at is null
      returning id, tenant, deleted_at
    ), subscriptions as (
      delete from switchyard.subscriptions s using ep where s.endpoint_id = ep.id
    ), cancelled as (
      update switchyard.deliveries d set status = 'cancelled', lease = null, last_error = ${why},
        updated_at = now()
      from ep where d.endpoint_id = ep.id and d.status in ('pending', 'held')
      returning d.entity_type, d.entity_id
    ), closed as (
      delete from switchyard.dead_letters l using ep
      where l.endpoint_id = ep.id and l.replayed_at is null returning 1
    )
    select ep.id, ep.tenant,
      to_char(ep.deleted_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "deletedAt",
      (select count(*) from cancelled)::int as "cancelledDeliveries",
      (select count(*) from closed)::int as "closedDeadLetters",
      coalesce((select json_agg(json_build_object('type', x.entity_type, 'id', x.entity_id))
        from (select distinct entity_type, entity_id from cancelled limit 10000) x), '[]') as entities
    from ep`;
    if (!row) throw new AppError("not_found", `endpoint ${id} not found`);
    await appendEvents(tx, [endpointDeleted({ ...row, endpointId: id, reason: reason ?? null })]);
    return row;
  });
  const { entities, ...deleted } = row;
  // Timelines showing the cancelled deliveries must not be served stale from the cache.
  await invalidateTraces(
    ctx,
    entities.map((e) => ({ tenant: row.tenant, entityType: e.type, entityId: e.id })),
  );
  return deleted;
}
