-- Intentionally empty. This version once created an example's schema, which now lives with its
-- example (examples/<name>/schema.sql); the version stays so databases that applied it keep a
-- history the Supabase CLI accepts.
select 1;
