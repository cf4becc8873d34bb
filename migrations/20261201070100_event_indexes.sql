-- Every index on switchyard.events names the query that uses it (tests/event-indexes.test.ts checks
-- that each still serves it). All eight are used, so none is dropped; what changes is the id: a
-- random id put every append on a random leaf of the primary key, a time-ordered one appends at the
-- right edge, so that index costs what the monotonic ones cost (no random page reads and fewer
-- full-page images in the WAL once the table outgrows memory). Still `evt_` and 32 hex digits: microseconds, then 72 random bits.

alter table switchyard.events alter column id
  set default ('evt_' || lpad(to_hex((extract(epoch from clock_timestamp()) * 1000000)::bigint), 14, '0')
    || encode(gen_random_bytes(9), 'hex'));

comment on index switchyard.events_pkey is
  'id: deliveries.event_id (foreign key, joins in delivery history and metrics), append_events answers for known dedup keys, prune_events deletes by id';
comment on index switchyard.events_tenant_entity_type_entity_id_version_key is
  'one event per entity version; the entity timeline (GET /trace, entityTimeline) and DTO gap checks (dtos/gaps.ts)';
comment on index switchyard.events_dedup is
  'append_events: a known (tenant, dedup_key) returns the stored event';
comment on index switchyard.events_tenant_seq is
  'a tenant''s log newest first (GET /events, listEvents), eventsAfter, replay from a seq';
comment on index switchyard.events_tenant_type_seq is
  'GET /events?type=<exact type> for a tenant, newest first';
comment on index switchyard.events_recorded_at is
  'compute_rollups: one hour of every tenant''s events; prune_events: the oldest events first';
comment on index switchyard.events_seq is
  'the relay: health_relay lag (seq > last_seq) and the catch-up cursor; the log across tenants (admin events list)';
comment on index switchyard.events_tenant_recorded_at is
  'metrics live totals and status: a tenant''s events of the last 24 hours by type (covering)';
