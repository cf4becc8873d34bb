/** Endpoints and their subscriptions in Postgres: register, read, enable/disable, rotate the secret. */
import type { AppContext } from "../context.ts";
import type { Sql } from "../db.ts";
import { AppError } from "../errors.ts";
import { getTenant } from "../tenants.ts";
import {
  type EndpointInput,
  type EndpointJson,
  endpointJson,
  type EndpointRow,
} from "./endpoint-schema.ts";
import { encryptCredentials } from "./credentials.ts";
import { seal } from "../sealing.ts";
import { newSecret } from "./signing.ts";
import { checkTarget } from "./ssrf.ts";
import { defaultRetrySchedule } from "./backoff.ts";
import { appendEvents } from "../events/append.ts";
import { endpointDisabled } from "./events.ts";

const endpointSelect =
  `ep.*, coalesce((select array_agg(s.pattern order by s.id) from switchyard.subscriptions s
  where s.endpoint_id = ep.id), '{}') as events`;

/** Registers an endpoint with one subscription per pattern; the secret is returned here and on rotation only. */
export async function createEndpoint(
  ctx: AppContext,
  input: EndpointInput,
): Promise<EndpointJson & { secret: string }> {
  if (input.url) {
    const target = await checkTarget(input.url, {
      allowPrivate: ctx.config.SWITCHYARD_ALLOW_PRIVATE_TARGETS,
    });
    if (!target.ok) {
      throw new AppError("validation_failed", "invalid endpoint", [{
        path: "url",
        message: `target refused: ${target.reason}`,
      }]);
    }
  }
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
    where ${
    tenant ? sql`ep.tenant = ${tenant}` : sql`true`
  } order by ep.tenant, ep.created_at, ep.id`;
  return rows.map(endpointJson);
}

export async function getEndpointRow(sql: Sql, id: string): Promise<EndpointRow> {
  const [row] = await sql<EndpointRow[]>`select ${
    sql.unsafe(endpointSelect)
  } from switchyard.endpoints ep where ep.id = ${id}`;
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
    where id = ${id} returning id, previous_valid_until`;
  if (!row) throw new AppError("not_found", `endpoint ${id} not found`);
  return { id, secret, previousValidUntil: new Date(row.previous_valid_until).toISOString() };
}
