-- timescaledb_fixture.sql -- what tests/integration/timescaledb.sh watches,
-- in TimescaleDB 2.23 in PGlite (no job scheduler: the runs of the jobs
-- are recorded in TimescaleDB's own tables, as its scheduler would).
--
-- D is today's midnight (UTC; chunks of 1 day are aligned on it):
--   public.metrics  a hypertable, chunks of 1 day, rows every 10 min from
--                   D - 10 days to now: 11 chunks, ending D-9 .. D+1
--   compressed      the chunks ending D-9, D-8, D-7 and D-3 (4)
--   overdue         uncompressed and ending before now - 3 days - 12 h
--                   (compress_after + the policy's schedule_interval):
--                   those ending D-6, D-5, D-4, whatever the time of day
--   compression     policy compress_after 3 days (schedule 12 h); its
--                   job's last success 2 days ago (4 runs, no failure)
--   metrics_hourly  a continuous aggregate (1 h buckets), refresh policy
--                   end_offset 1 h, schedule 1 h, run once (CALL run_job)
--                   and recorded a success 10 min ago
--   failing_action  a user-defined action that raises 'disk quota
--                   exceeded in archive' (P0001), every hour: one success
--                   90 min ago (not yet twice its schedule: not "not
--                   running"), one failure 5 min ago (job_errors shows it)
--   job 3           TimescaleDB's own history retention job: paused,
--                   never ran
--   public.events   a hypertable without compression or policy (3 chunks
--                   or so), and events_daily, a continuous aggregate on it
--                   without a refresh policy, never refreshed
CREATE EXTENSION IF NOT EXISTS timescaledb;

CREATE TABLE metrics (time timestamptz NOT NULL, device int NOT NULL, value double precision);
SELECT create_hypertable('metrics', by_range('time', INTERVAL '1 day'));
INSERT INTO metrics
	SELECT t, d, (extract(epoch FROM t)::bigint % 97) + d
	FROM generate_series(date_trunc('day', now(), 'UTC') - INTERVAL '10 days', now(),
			     INTERVAL '10 minutes') t,
	     generate_series(1, 5) d;
ALTER TABLE metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
			 timescaledb.compress_orderby = 'time');
SELECT add_compression_policy('metrics', compress_after => INTERVAL '3 days');
SELECT compress_chunk(format('%I.%I', chunk_schema, chunk_name)::regclass)
	FROM timescaledb_information.chunks
	WHERE hypertable_schema = 'public' AND hypertable_name = 'metrics'
	  AND (range_end <= date_trunc('day', now(), 'UTC') - INTERVAL '7 days'
	       OR range_end = date_trunc('day', now(), 'UTC') - INTERVAL '3 days');

CREATE MATERIALIZED VIEW metrics_hourly WITH (timescaledb.continuous) AS
	SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, device, avg(value) AS avg_value
	FROM metrics GROUP BY bucket, device WITH NO DATA;
SELECT add_continuous_aggregate_policy('metrics_hourly', start_offset => INTERVAL '30 days',
				       end_offset => INTERVAL '1 hour',
				       schedule_interval => INTERVAL '1 hour');
SELECT job_id AS refresh_job FROM timescaledb_information.jobs
	WHERE proc_name = 'policy_refresh_continuous_aggregate' \gset
CALL run_job(:refresh_job);

CREATE PROCEDURE failing_action(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'disk quota exceeded in archive';
END $$;
SELECT add_job('failing_action', INTERVAL '1 hour', config => '{"bucket": "archive"}') AS failing_job \gset
-- it does fail (run_job records nothing of it)
DO $$
DECLARE
	id int := (SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'failing_action');
BEGIN
	CALL run_job(id);
	RAISE EXCEPTION 'failing_action did not fail';
EXCEPTION WHEN raise_exception THEN
	IF SQLERRM <> 'disk quota exceeded in archive' THEN
		RAISE;
	END IF;
END $$;

SELECT job_id AS compression_job FROM timescaledb_information.jobs
	WHERE proc_name = 'policy_compression' \gset
SELECT alter_job(3, scheduled => false);

-- the runs, as TimescaleDB's scheduler records them
DELETE FROM _timescaledb_internal.bgw_job_stat;
DELETE FROM _timescaledb_internal.bgw_job_stat_history;
INSERT INTO _timescaledb_internal.bgw_job_stat
	(job_id, last_start, last_finish, next_start, last_successful_finish, last_run_success,
	 total_runs, total_duration, total_duration_failures, total_successes, total_failures,
	 total_crashes, consecutive_failures, consecutive_crashes, flags)
VALUES
	(:compression_job, now() - INTERVAL '2 days', now() - INTERVAL '2 days' + INTERVAL '3.25 s',
	 now() - INTERVAL '2 days' + INTERVAL '12 hours', now() - INTERVAL '2 days' + INTERVAL '3.25 s',
	 true, 4, INTERVAL '13 s', INTERVAL '0', 4, 0, 0, 0, 0, 0),
	(:refresh_job, now() - INTERVAL '10 minutes', now() - INTERVAL '10 minutes' + INTERVAL '1.5 s',
	 now() + INTERVAL '50 minutes', now() - INTERVAL '10 minutes' + INTERVAL '1.5 s',
	 true, 1, INTERVAL '1.5 s', INTERVAL '0', 1, 0, 0, 0, 0, 0),
	(:failing_job, now() - INTERVAL '5 minutes', now() - INTERVAL '5 minutes' + INTERVAL '0.25 s',
	 now() + INTERVAL '55 minutes', now() - INTERVAL '90 minutes' + INTERVAL '0.5 s',
	 false, 2, INTERVAL '0.75 s', INTERVAL '0.25 s', 1, 1, 0, 1, 0, 0);
INSERT INTO _timescaledb_internal.bgw_job_stat_history
	(job_id, pid, execution_start, execution_finish, succeeded, data)
VALUES
	(:failing_job, 4241, now() - INTERVAL '90 minutes', now() - INTERVAL '90 minutes' + INTERVAL '0.5 s',
	 true, '{"job": {"proc_schema": "public", "proc_name": "failing_action"}}'),
	(:failing_job, 4242, now() - INTERVAL '5 minutes', now() - INTERVAL '5 minutes' + INTERVAL '0.25 s',
	 false, '{"job": {"proc_schema": "public", "proc_name": "failing_action"},
		  "error_data": {"message": "disk quota exceeded in archive <img src=x onerror=alert(1)>",
				 "sqlerrcode": "P0001"}}');

-- without compression, a policy or a refresh: the series that need one are
-- absent for them
CREATE TABLE events (time timestamptz NOT NULL, kind text);
SELECT create_hypertable('events', by_range('time', INTERVAL '1 day'));
INSERT INTO events SELECT t, 'login' FROM generate_series(now() - INTERVAL '2 days', now(), INTERVAL '1 hour') t;
CREATE MATERIALIZED VIEW events_daily WITH (timescaledb.continuous) AS
	SELECT time_bucket(INTERVAL '1 day', time) AS day, count(*) AS n
	FROM events GROUP BY day WITH NO DATA;
