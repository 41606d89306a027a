/*
 * pg_advice_sql.h -- the SQL of the optimization advisor: read-only
 * catalog and statistics queries whose rows are findings about one
 * database (the one connected to; the caller visits each in turn), chosen
 * by server version (server_version_num, 12 and later).  Pure: each
 * function returns a static string, or NULL when the server has nothing to
 * ask.  Every query runs in a READ ONLY transaction as a member of
 * pg_monitor, not a superuser; where that role cannot see something the
 * query says so (see needs_privilege below) rather than guess.
 *
 * Parameters are text ($1, $2, ...) cast in the SQL, and are written
 * beside each query.
 *
 * The finding queries return the same eight text columns:
 *   kind         'unused_index', 'duplicate_index', ... (below), or
 *                'needs_privilege'
 *   severity     'info', 'warning' or 'critical'
 *   schema_name  NULL for a database-wide finding
 *   table_name   NULL for a database-wide finding
 *   object_name  the index, sequence or constraint, the database for a
 *                database-wide wraparound finding, else NULL
 *   evidence     a JSON object (jsonb_build_object(...)::text): the numbers
 *                the finding rests on under self-explaining keys (bytes in
 *                *_bytes, epoch seconds in stats_since, ratios 0..1 in
 *                *_ratio, percents 0..100 in *_percent)
 *   summary      one plain-English sentence for a DBA, identifiers written
 *                as SQL writes them ("schema"."table")
 *   action_sql   the SQL that acts on it, identifiers quoted by format(%I)
 *                (never run by dbpulse; may hold SQL comments and more
 *                than one statement, a newline apart, to be run one at a
 *                time: sent as one string they make one transaction, where
 *                CONCURRENTLY and VACUUM are refused), or NULL
 * A row of kind 'needs_privilege' (severity 'info', names NULL) says that
 * objects were left out because this role cannot read them: evidence has
 * "check" (the kind left incomplete) and a count; summary what to grant;
 * action_sql the GRANT when one is narrow enough to propose, else NULL.
 *
 * System schemas (pg_catalog, information_schema, pg_toast, temporary
 * schemas: every name beginning with "pg_", which users cannot create) are
 * left out everywhere but in pg_advice_sql_wraparound.
 */
#ifndef DBPULSE_PG_ADVICE_SQL_H
#define DBPULSE_PG_ADVICE_SQL_H

/* One row: stats_since (whole epoch seconds), stats_since_source
 * ('stats_reset': pg_stat_database.stats_reset of this database, or
 * 'postmaster_start' when that is NULL: pg_postmaster_start_time(), a lower
 * bound of the statistics' age unless a crash reset them since), stats age
 * (whole seconds).  The caller says once per database that unused indexes
 * are not judged while the age is under the threshold of
 * pg_advice_sql_unused_index. */
const char *pg_advice_sql_stats_age(int version);

/* Installed extensions: extname, its schema (quoted, quote_ident),
 * extversion.  The caller picks pg_advice_sql_table_bloat_pgstattuple when
 * 'pgstattuple' is among them. */
const char *pg_advice_sql_extensions(int version);

/* $1 = minimum statistics age, seconds.  Finding columns; kind
 * 'unused_index', severity 'warning': a valid index (not of a partitioned
 * table, not itself a partition's) with idx_scan = 0 since the statistics
 * began, that is not unique, primary, exclusion, nor backs a constraint
 * (pg_constraint.conindid).  No row while the statistics are younger than
 * $1.  Scans on standbys are not counted here: check them before dropping.
 * Evidence: index_bytes, idx_scan, table_writes (n_tup_ins + n_tup_upd +
 * n_tup_del), stats_since, stats_since_source, stats_age_seconds,
 * index_definition.  Action: DROP INDEX CONCURRENTLY. */
const char *pg_advice_sql_unused_index(int version);

/* No parameter.  Finding columns; severity 'warning':
 *   'duplicate_index': valid indexes of a table with the same access
 *     method, key and INCLUDE columns, operator classes, collations,
 *     options, expressions and predicate; the one kept is the first of:
 *     backing a constraint, primary, unique, lowest oid; one row per other
 *     member;
 *   'redundant_index': a btree, not unique, without INCLUDE columns, whose
 *     key columns (with their operator classes, collations and options)
 *     lead another btree's on the same table, neither with expressions or
 *     a predicate; one row per shorter index, against the shortest longer.
 * Evidence: index_bytes, index_definition, kept_index, kept_index_bytes,
 * kept_index_definition, backs_constraint.  Action: DROP INDEX
 * [CONCURRENTLY] (plain for a partitioned table's index), or NULL when the
 * index backs a constraint (the summary says so). */
const char *pg_advice_sql_duplicate_index(int version);

/* No parameter.  Finding columns; kind 'invalid_index', severity
 * 'critical': an index with indisvalid false (a CREATE or REINDEX INDEX
 * CONCURRENTLY that failed), unless a CREATE INDEX or REINDEX is under way
 * on its table (pg_stat_progress_create_index).  Evidence: index_bytes,
 * indisready (true: writes maintain it), index_definition.  Action: DROP
 * INDEX CONCURRENTLY, then on the next line the CREATE INDEX CONCURRENTLY
 * that makes it again (a unique one fails again until its duplicate keys
 * are gone; the summary says so). */
const char *pg_advice_sql_invalid_index(int version);

/* No parameter.  Finding columns; kind 'fk_without_index', object_name the
 * constraint: a foreign key (not a partition's copy of its parent's) whose
 * columns, as a set, no valid btree or hash index without a predicate on
 * the referencing table has as its leading key columns.  Severity 'info'
 * when the referencing table holds fewer than 1000 rows (estimated), else
 * 'warning'.  Evidence: columns, referenced_table, referenced_updates_deletes
 * (n_tup_upd + n_tup_del of the referenced table, its partitions summed),
 * referencing_table_bytes, referencing_rows_estimate.  Action: CREATE INDEX
 * CONCURRENTLY ON "s"."t" ("c1", "c2"); on a partitioned table, where
 * CONCURRENTLY is refused, a plain CREATE INDEX (the summary says it blocks
 * writes while it builds). */
const char *pg_advice_sql_fk_without_index(int version);

/* $1 = minimum table bytes.  Not findings: the raw counters of every user
 * table of at least $1 bytes (pg_table_size), for the caller to diff over
 * its own window (two passes) and judge seq_scan_heavy from: schema_name,
 * table_name, relid, table bytes, n_live_tup, seq_scan, seq_tup_read,
 * idx_scan, idx_tup_fetch (the last two NULL for a table without index).
 * Counters since the statistics began; a reset between passes shows as a
 * decrease. */
const char *pg_advice_sql_seq_scan_counters(int version);

/* $1 = minimum bloat bytes, $2 = minimum bloat ratio (0..1).  Finding
 * columns; kind 'table_bloat': tables (and materialized views) whose size
 * (heap and TOAST pages, pg_class.relpages as of the last VACUUM or
 * ANALYZE) exceeds the estimate of what their rows need (pg_stats
 * avg_width and null_frac per column, pg_class.reltuples, fillfactor) by at
 * least $1 bytes and $2 of the size.  The estimate is the one of
 * ioguix/pgsql-bloat-estimation (table/table_bloat.sql), written anew.
 * Tables without statistics for every column are left out, as are those
 * with a column of type name (no reliable width).  The estimate is off by
 * a page or a few either way, so small relations come out with large
 * ratios: $1 is what keeps them out (some MB).  Severity 'warning',
 * 'critical' from a ratio of 0.75 (four times the size the rows need) up.
 * Evidence: real_bytes, expected_bytes, bloat_bytes, bloat_ratio, method
 * 'estimate', rows_estimate, fillfactor.  Action: a comment on the lock
 * VACUUM FULL takes, then VACUUM (FULL, VERBOSE) "s"."t";.
 * pg_stats shows a column's statistics only to a role that may SELECT it:
 * pg_monitor alone sees none, so the tables it cannot read are counted in
 * one needs_privilege row (tables of at least $1 bytes; grant SELECT, or
 * pg_read_all_data from 14, or install pgstattuple and use
 * pg_advice_sql_table_bloat_pgstattuple). */
const char *pg_advice_sql_table_bloat(int version);

/* $1 = minimum bloat bytes, $2 = minimum bloat ratio (0..1).  Finding
 * columns; kind 'index_bloat': valid btree indexes whose size exceeds the
 * estimate of ioguix/pgsql-bloat-estimation (btree/btree_bloat.sql,
 * written anew: tuple header, null bitmap, column widths from pg_stats,
 * MAXALIGN, 90 % leaf fillfactor unless set) by $1 bytes and $2 of the
 * size.  Deduplicated btrees (13 and later) come out smaller than the
 * estimate, so they are found less, never wrongly.  Severity as for
 * tables.  Evidence: real_bytes, expected_bytes, bloat_bytes, bloat_ratio,
 * method 'estimate', rows_estimate, fillfactor.  Action: REINDEX INDEX
 * CONCURRENTLY "s"."i";.  The needs_privilege row as for tables (the
 * index's table unreadable). */
const char *pg_advice_sql_index_bloat(int version);

/* $1 = minimum bloat bytes, $2 = minimum bloat ratio (0..1).  %s: the
 * schema of pgstattuple, quoted (pg_advice_sql_extensions), the one "%s" in
 * the text.  Finding columns; kind 'table_bloat' measured by
 * pgstattuple_approx() (method 'pgstattuple_approx'): bloat = dead tuple
 * bytes + free space - the space fillfactor keeps free.  Reads every page
 * not all-visible of each table of at least $1 bytes (pg_relation_size),
 * under AccessShareLock: run it with a statement_timeout.  Needs EXECUTE
 * on pgstattuple_approx, which pgstattuple 1.5 and later grants to
 * pg_stat_scan_tables, a member of pg_monitor.  Other sessions'
 * temporary tables are left out.  Severity and action as
 * pg_advice_sql_table_bloat; evidence the same plus scanned_percent,
 * dead_tuple_bytes, free_bytes. */
const char *pg_advice_sql_table_bloat_pgstattuple(int version);

/* $1 = the wraparound limit (the caller passes 2147483648, 2^31).  Finding
 * columns; kind 'wraparound': the database (schema and table NULL,
 * object_name the database: age(datfrozenxid), mxid_age(datminmxid)) and
 * every table and materialized view of it, system catalogs included (the
 * greater of the table's and its TOAST table's age(relfrozenxid) and
 * mxid_age(relminmxid)), when either age passes 50 % of $1: 'warning',
 * 'critical' past 80 %.  Evidence: xid_age, mxid_age,
 * autovacuum_freeze_max_age, autovacuum_multixact_freeze_max_age,
 * wraparound_limit, xid_percent, mxid_percent (toward $1).  Action: VACUUM
 * (FREEZE, VERBOSE) "s"."t"; for a table (NULL for another session's
 * temporary table, which only that session can vacuum); for the database
 * SQL comments: which tables to freeze, and what holds the horizon back. */
const char *pg_advice_sql_wraparound(int version);

/* $1 = warning percent, $2 = critical percent (0..100; 75 and 90 say the
 * issue).  Finding columns; kind 'sequence_exhaustion', object_name the
 * sequence, table_name the owning table (NULL when none): every sequence
 * not CYCLE whose last_value has used $1 % of its range: the sequence's
 * max_value (min_value when descending), bounded by the owning column's
 * type (pg_depend deptype 'a' serial, 'i' identity; int2 32767, int4
 * 2147483647, int8 9223372036854775807).  Evidence: last_value, max_value
 * (the effective bound), sequence_max_value, column, column_type,
 * used_percent.  Action: for an int2 or int4 column, ALTER TABLE ... ALTER
 * COLUMN ... TYPE bigint (after a comment: it rewrites the table under an
 * ACCESS EXCLUSIVE lock) and ALTER SEQUENCE ... AS bigint MAXVALUE
 * 9223372036854775807; for a sequence that is the bound itself, ALTER
 * SEQUENCE ... AS bigint MAXVALUE ...; else NULL.
 * pg_sequences.last_value is NULL without USAGE or SELECT on the sequence,
 * which pg_monitor lacks: those are counted in one needs_privilege row,
 * with the GRANT SELECT ON ALL SEQUENCES IN SCHEMA ... for the schemas
 * concerned (SELECT on a sequence reads it, nextval needs USAGE). */
const char *pg_advice_sql_sequence_exhaustion(int version);

/* %s: the schema of pg_stat_statements, quoted (the one "%s").  $1 = a
 * JSON array of query ids (text), $2 = at most that many rows, $3 = a
 * JSON array of database names.  Not findings: the statements the
 * advisor plans, costliest first: queryid, datname, query (the whole
 * text), calls, total execution ms, rows, since pg_stat_statements' reset.
 * With ids, those statements (every role's row of each: the caller keeps
 * one); with none, the costliest of the databases of $3 but for those of
 * the role the advisor runs as (the agent's).  Top-level statements only
 * (14 and later tell them apart). */
const char *pg_advice_sql_statements(int version);

/* $1 = a JSON array of {"schema", "name"} objects.  Not findings: schema,
 * table, pg_table_size of each that exists (the sequential scans of a
 * plan, to tell the large tables). */
const char *pg_advice_sql_table_sizes(int version);

/* $1 = a JSON array of {"ord", "schema" (may be null: the search path's),
 * "name"} objects, $2 = a JSON array of column names.  Not findings: for
 * each table of $1 that is a table, a partitioned table or a materialized
 * view, its columns named in $2, in the order of $1 then of the columns:
 * ord, schema, table, reltuples, pg_table_size, column, pg_stats'
 * n_distinct, null_frac and greatest most_common_freqs (NULL without
 * statistics), whether a valid index without predicate has it as its
 * first key column, and whether this role may read its statistics (false:
 * no SELECT on the column, so pg_stats hides them). */
const char *pg_advice_sql_index_columns(int version);

#endif
