/*
 * pg_advice_sql.c -- the optimization advisor's SQL by server version (see
 * pg_advice_sql.h).  Oldest supported: 12 (pg_partition_tree,
 * pg_stat_progress_create_index, REINDEX CONCURRENTLY).  Nothing these
 * queries read changed up to 17 but for reltuples, -1 for a table never
 * vacuumed or analyzed from 14 (0 before), which the queries treat alike.
 *
 * Verified against PostgreSQL 15 with tests/integration/advice_fixture.sql,
 * as a role in pg_monitor inside BEGIN READ ONLY.
 */
#include "autoconfig.h"
#include "pg_advice_sql.h"

#include <stddef.h>
#include "banned.h"

/* A schema of the user's: not pg_catalog, information_schema, pg_toast nor
 * a temporary one (users cannot name a schema pg_...). */
#define USER_SCHEMA(name) " " name " <> 'information_schema' AND " name " !~ '^pg_'"
/* An identifier in a sentence as SQL writes it, always double-quoted. */
#define QI(x) "('\"' || replace(" x ", '\"', '\"\"') || '\"')"
/* When the statistics began: this database's stats_reset, else the
 * postmaster's start. */
#define STATS_SINCE \
	"SELECT coalesce(d.stats_reset, pg_postmaster_start_time()) AS since," \
	" CASE WHEN d.stats_reset IS NULL THEN 'postmaster_start' ELSE 'stats_reset' END AS source" \
	" FROM pg_stat_database d WHERE d.datname = current_database()"

const char *pg_advice_sql_stats_age(int version)
{
	(void)version;
	return "SELECT floor(extract(epoch FROM s.since))::bigint, s.source,"
	       " floor(extract(epoch FROM now() - s.since))::bigint"
	       " FROM (" STATS_SINCE ") s";
}

const char *pg_advice_sql_extensions(int version)
{
	(void)version;
	return "SELECT e.extname, quote_ident(n.nspname), e.extversion FROM pg_extension e"
	       " JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1";
}

const char *pg_advice_sql_unused_index(int version)
{
	(void)version;
	return "WITH st AS (" STATS_SINCE ")"
	       " SELECT 'unused_index', 'warning', n.nspname, t.relname, c.relname,"
	       " jsonb_build_object('index_bytes', pg_relation_size(i.indexrelid),"
	       "   'idx_scan', s.idx_scan,"
	       "   'table_writes', ts.n_tup_ins + ts.n_tup_upd + ts.n_tup_del,"
	       "   'stats_since', floor(extract(epoch FROM st.since))::bigint,"
	       "   'stats_since_source', st.source,"
	       "   'stats_age_seconds', floor(extract(epoch FROM now() - st.since))::bigint,"
	       "   'index_definition', pg_get_indexdef(i.indexrelid))::text,"
	       " 'index ' || " QI("c.relname") " || ' on ' || " QI("n.nspname") " || '.' || "
	       QI("t.relname") " || ' has not been scanned since '"
	       "   || to_char(st.since, 'YYYY-MM-DD')"
	       "   || CASE WHEN st.source = 'postmaster_start' THEN ' (the server''s start)' ELSE '' END"
	       "   || '; it costs ' || pg_size_pretty(pg_relation_size(i.indexrelid))"
	       "   || ' and every write (' || (ts.n_tup_ins + ts.n_tup_upd + ts.n_tup_del)"
	       "   || ' rows written since)',"
	       " format('DROP INDEX CONCURRENTLY %I.%I;', n.nspname, c.relname)"
	       " FROM pg_index i"
	       " JOIN pg_class c ON c.oid = i.indexrelid"
	       " JOIN pg_class t ON t.oid = i.indrelid"
	       " JOIN pg_namespace n ON n.oid = t.relnamespace"
	       " JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid"
	       " JOIN pg_stat_all_tables ts ON ts.relid = i.indrelid"
	       " CROSS JOIN st"
	       " WHERE s.idx_scan = 0 AND i.indisvalid AND c.relkind = 'i' AND NOT c.relispartition"
	       " AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion"
	       " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
	       " AND" USER_SCHEMA("n.nspname")
	       " AND now() - st.since >= make_interval(secs => $1::float8)"
	       " ORDER BY pg_relation_size(i.indexrelid) DESC, 3, 4, 5";
}

/* The valid indexes of user tables, keys as 1-based arrays. */
#define INDEXES \
	"ix AS (SELECT i.indexrelid AS oid, i.indrelid, n.nspname, t.relname AS tname," \
	"   c.relname AS iname, c.relkind, c.relam, i.indnkeyatts AS nkey, i.indnatts AS natts," \
	"   string_to_array(i.indkey::text, ' ')::int[] AS keys," \
	"   string_to_array(i.indclass::text, ' ')::oid[] AS cls," \
	"   string_to_array(i.indcollation::text, ' ')::oid[] AS colls," \
	"   string_to_array(i.indoption::text, ' ')::int[] AS opts," \
	"   pg_get_expr(i.indexprs, i.indrelid) AS exprs, pg_get_expr(i.indpred, i.indrelid) AS pred," \
	"   i.indisunique AS uniq, i.indisprimary AS prim," \
	"   EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS backs," \
	"   pg_relation_size(i.indexrelid) AS bytes, pg_get_indexdef(i.indexrelid) AS def" \
	" FROM pg_index i" \
	" JOIN pg_class c ON c.oid = i.indexrelid" \
	" JOIN pg_class t ON t.oid = i.indrelid" \
	" JOIN pg_namespace n ON n.oid = t.relnamespace" \
	" WHERE i.indisvalid AND c.relkind IN ('i', 'I') AND NOT c.relispartition AND" \
	USER_SCHEMA("n.nspname") ")"
/* The columns of a finding that index d (to drop) is redundant beside k
 * (kept); relation is the verb between their names in the summary. */
#define REDUNDANT_ROW(kind, relation) \
	" SELECT " kind ", 'warning', d.nspname, d.tname, d.iname," \
	" jsonb_build_object('index_bytes', d.bytes, 'index_definition', d.def," \
	"   'kept_index', k.iname, 'kept_index_bytes', k.bytes, 'kept_index_definition', k.def," \
	"   'backs_constraint', d.backs)::text," \
	" 'index ' || " QI("d.iname") " || ' on ' || " QI("d.nspname") " || '.' || " QI("d.tname") \
	"   || ' ' || " relation " || ' ' || " QI("k.iname") \
	"   || CASE WHEN d.backs THEN '; it backs a constraint, so it stays unless the constraint goes'" \
	"     ELSE '; dropping it saves ' || pg_size_pretty(d.bytes) || ' and work on every write' END," \
	" CASE WHEN NOT d.backs THEN format(CASE WHEN d.relkind = 'I' THEN 'DROP INDEX %I.%I;'" \
	"   ELSE 'DROP INDEX CONCURRENTLY %I.%I;' END, d.nspname, d.iname) END"

const char *pg_advice_sql_duplicate_index(int version)
{
	(void)version;
	/* a duplicate's group: everything but the name and uniqueness; the
	 * first of each group is kept.  A prefix: the shorter one's key
	 * columns, operator classes, collations and options lead the longer
	 * one's (slices of the 1-based arrays) */
	return "WITH " INDEXES ","
	       " g AS (SELECT ix.*, first_value(oid) OVER w AS kept, row_number() OVER w AS rn FROM ix"
	       "   WINDOW w AS (PARTITION BY indrelid, relam, nkey, natts, keys, cls, colls, opts,"
	       "     exprs, pred ORDER BY backs DESC, prim DESC, uniq DESC, oid)),"
	       " p AS (SELECT DISTINCT ON (a.oid) a.oid AS short, b.oid AS long"
	       "   FROM ix a JOIN ix b ON b.indrelid = a.indrelid AND b.oid <> a.oid"
	       "   JOIN pg_am am ON am.oid = a.relam AND am.amname = 'btree'"
	       "   WHERE b.relam = a.relam AND NOT a.uniq AND a.natts = a.nkey AND a.nkey < b.nkey"
	       "   AND a.exprs IS NULL AND b.exprs IS NULL AND a.pred IS NULL AND b.pred IS NULL"
	       "   AND b.keys[1:a.nkey] = a.keys AND b.cls[1:a.nkey] = a.cls"
	       "   AND b.colls[1:a.nkey] = a.colls AND b.opts[1:a.nkey] = a.opts"
	       "   ORDER BY a.oid, b.nkey, b.oid)"
	       REDUNDANT_ROW("'duplicate_index'", "'duplicates'")
	       " FROM g d JOIN ix k ON k.oid = d.kept WHERE d.rn > 1"
	       " UNION ALL"
	       REDUNDANT_ROW("'redundant_index'", "'is a leading prefix of'")
	       " FROM p JOIN ix d ON d.oid = p.short JOIN ix k ON k.oid = p.long"
	       " ORDER BY 1, 3, 4, 5";
}

const char *pg_advice_sql_invalid_index(int version)
{
	(void)version;
	return "SELECT 'invalid_index', 'critical', n.nspname, t.relname, c.relname,"
	       " jsonb_build_object('index_bytes', pg_relation_size(i.indexrelid),"
	       "   'indisready', i.indisready, 'index_definition', pg_get_indexdef(i.indexrelid))::text,"
	       " 'index ' || " QI("c.relname") " || ' on ' || " QI("n.nspname") " || '.' || "
	       QI("t.relname") " || ' is invalid (a CREATE or REINDEX INDEX CONCURRENTLY failed): no"
	       " query uses it'"
	       "   || CASE WHEN i.indisready THEN ', yet every write maintains it' ELSE '' END"
	       "   || ' (' || pg_size_pretty(pg_relation_size(i.indexrelid)) || '); drop it and build it"
	       " again'"
	       "   || CASE WHEN i.indisunique THEN ', once the duplicate keys that may have failed it"
	       " are gone' ELSE '' END,"
	       " format('DROP INDEX CONCURRENTLY %I.%I;', n.nspname, c.relname) || chr(10)"
	       "   || regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX ',"
	       "     'CREATE \\1INDEX CONCURRENTLY ') || ';'"
	       " FROM pg_index i"
	       " JOIN pg_class c ON c.oid = i.indexrelid"
	       " JOIN pg_class t ON t.oid = i.indrelid"
	       " JOIN pg_namespace n ON n.oid = t.relnamespace"
	       " WHERE NOT i.indisvalid AND c.relkind = 'i' AND" USER_SCHEMA("n.nspname")
	       " AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p"
	       "   WHERE p.relid = i.indrelid)"
	       " ORDER BY 3, 4, 5";
}

/* The rows and bytes of table r, its partitions' summed when partitioned. */
#define TABLE_SUM(r, expr) \
	"CASE WHEN " r ".relkind = 'p' THEN (SELECT sum(" expr ") FROM pg_partition_tree(" r ".oid) pt" \
	" JOIN pg_class x ON x.oid = pt.relid LEFT JOIN pg_stat_all_tables xs ON xs.relid = x.oid" \
	" WHERE pt.isleaf) ELSE (SELECT sum(" expr ") FROM pg_class x" \
	" LEFT JOIN pg_stat_all_tables xs ON xs.relid = x.oid WHERE x.oid = " r ".oid) END"

const char *pg_advice_sql_fk_without_index(int version)
{
	(void)version;
	/* an index serves the key when its first key columns are the key's,
	 * in any order: the slice as long as the key contains it */
	return "WITH f AS (SELECT k.oid, k.conname, k.conkey, n.nspname, t.relname, t.relkind,"
	       "   r.oid AS refoid, rn.nspname AS refschema, r.relname AS refname,"
	       "   (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY u.ord)"
	       "     FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)"
	       "     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS cols,"
	       "   " TABLE_SUM("t", "greatest(x.reltuples, xs.n_live_tup, 0)") " AS nrows,"
	       "   " TABLE_SUM("t", "pg_table_size(x.oid)") " AS bytes,"
	       "   " TABLE_SUM("r", "xs.n_tup_upd + xs.n_tup_del") " AS ref_writes"
	       " FROM pg_constraint k"
	       " JOIN pg_class t ON t.oid = k.conrelid"
	       " JOIN pg_namespace n ON n.oid = t.relnamespace"
	       " JOIN pg_class r ON r.oid = k.confrelid"
	       " JOIN pg_namespace rn ON rn.oid = r.relnamespace"
	       " WHERE k.contype = 'f' AND k.conparentid = 0 AND" USER_SCHEMA("n.nspname")
	       " AND NOT EXISTS (SELECT 1 FROM pg_index i"
	       "   JOIN pg_class ic ON ic.oid = i.indexrelid"
	       "   JOIN pg_am am ON am.oid = ic.relam AND am.amname IN ('btree', 'hash')"
	       "   WHERE i.indrelid = k.conrelid AND i.indisvalid AND i.indpred IS NULL"
	       "   AND i.indnkeyatts >= cardinality(k.conkey)"
	       "   AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)]"
	       "     @> k.conkey))"
	       " SELECT 'fk_without_index', CASE WHEN coalesce(nrows, 0) < 1000 THEN 'info'"
	       "   ELSE 'warning' END, nspname, relname, conname,"
	       " jsonb_build_object('columns', cols,"
	       "   'referenced_table', format('%I.%I', refschema, refname),"
	       "   'referenced_updates_deletes', coalesce(ref_writes, 0),"
	       "   'referencing_table_bytes', coalesce(bytes, 0),"
	       "   'referencing_rows_estimate', coalesce(nrows, 0)::bigint)::text,"
	       " 'foreign key ' || " QI("conname") " || ' of ' || " QI("nspname") " || '.' || "
	       QI("relname") " || ' (' || cols || ') has no index leading with its columns: every"
	       " update or delete of a key in ' || " QI("refschema") " || '.' || " QI("refname")
	       "   || ' (' || coalesce(ref_writes, 0) || ' so far) scans the ' || coalesce(nrows, 0)::bigint"
	       "   || ' rows (' || pg_size_pretty(coalesce(bytes, 0)) || ') for references'"
	       "   || CASE WHEN relkind = 'p' THEN '; the table is partitioned, where CREATE INDEX"
	       " cannot be CONCURRENTLY: it blocks writes while it builds' ELSE '' END,"
	       " CASE WHEN relkind = 'p' THEN format('CREATE INDEX ON %I.%I (', nspname, relname)"
	       "   ELSE format('CREATE INDEX CONCURRENTLY ON %I.%I (', nspname, relname) END"
	       "   || cols || ');'"
	       " FROM f ORDER BY 3, 4, 5";
}

const char *pg_advice_sql_seq_scan_counters(int version)
{
	(void)version;
	return "SELECT schemaname, relname, relid, bytes, n_live_tup, seq_scan, seq_tup_read,"
	       " idx_scan, idx_tup_fetch"
	       " FROM (SELECT s.*, pg_table_size(s.relid) AS bytes FROM pg_stat_user_tables s) s"
	       " WHERE bytes >= $1::bigint ORDER BY relid";
}

/* MAXALIGN of the server (8 on 64-bit builds), as ioguix's queries tell it. */
#define MAXALIGN_SQL \
	"CASE WHEN version() ~ 'mingw32|64-bit|x86_64|ppc64|ia64|amd64|aarch64|s390x'" \
	" THEN 8 ELSE 4 END"
#define FILLFACTOR(c, dflt) \
	"coalesce((SELECT substring(o FROM '^fillfactor=([0-9]+)$')::int FROM unnest(" c ".reloptions) o" \
	" WHERE o LIKE 'fillfactor=%'), " dflt ")"
/* Severity and the common evidence of a bloat finding from real and
 * expected bytes. */
#define BLOAT_SEVERITY "CASE WHEN bloat::float8 / real >= 0.75 THEN 'critical' ELSE 'warning' END"
#define BLOAT_EVIDENCE(method) \
	"jsonb_build_object('real_bytes', real, 'expected_bytes', real - bloat," \
	"   'bloat_bytes', bloat, 'bloat_ratio', round((bloat::float8 / real)::numeric, 3)," \
	"   'method', " method ", 'rows_estimate', nrows::bigint, 'fillfactor', ff"
/* the part of a sentence saying how much larger than needed it is */
#define BLOAT_SENTENCE \
	" || ' is ' || pg_size_pretty(bloat::bigint) || ' (' || round(100 * bloat::numeric / real)" \
	" || ' %) larger than its rows need: ' || pg_size_pretty(real::bigint) || ' against '" \
	" || pg_size_pretty((real - bloat)::bigint)"
#define TABLE_ACTION \
	"'-- VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock (no reads, no writes)'" \
	" || ' and needs room for a copy; prefer pg_repack, else in a maintenance window:'" \
	" || chr(10) || 'VACUUM (FULL, VERBOSE) ' || quote_ident(nspname) || '.' || quote_ident(relname)" \
	" || ';'"
/* The tables or indexes (what) of at least $1 bytes whose statistics this
 * role cannot see. */
#define UNREADABLE(check, what, from, where) \
	" UNION ALL SELECT 'needs_privilege', 'info', NULL, NULL, NULL," \
	" jsonb_build_object('check', " check ", 'unreadable_" what "', count(*))::text," \
	" count(*) || ' " what " of at least ' || pg_size_pretty($1::bigint) || ' were left out of the'" \
	"   || ' bloat estimate: pg_stats shows statistics only to a role that may read the'" \
	"   || ' columns; grant SELECT on them (or pg_read_all_data, 14 and later), or install'" \
	"   || ' pgstattuple, whose pgstattuple_approx pg_monitor may run (tables only)'," \
	" NULL" from " WHERE NOT has_any_column_privilege(c.oid, 'SELECT') AND" USER_SCHEMA("n.nspname") \
	" AND " where " HAVING count(*) > 0"

const char *pg_advice_sql_table_bloat(int version)
{
	(void)version;
	/* after ioguix/pgsql-bloat-estimation table/table_bloat.sql: a row
	 * takes its line pointer (4), its header (23 and the null bitmap when
	 * any column has nulls, aligned) and its data (the columns' average
	 * widths weighed by how often they are not null, aligned); a page
	 * holds (block - 24) * fillfactor of them; TOAST holds 4 chunks a
	 * page */
	return "WITH w AS (SELECT c.oid, n.nspname, c.relname, c.reltuples AS nrows,"
	       "   c.relpages + coalesce(tc.relpages, 0) AS pages,"
	       "   greatest(tc.reltuples, 0) AS toast_rows, " FILLFACTOR("c", "100") " AS ff,"
	       "   current_setting('block_size')::int AS bs, " MAXALIGN_SQL " AS ma,"
	       "   count(*) AS ncols, count(s.attname) AS nstats,"
	       "   sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) AS width,"
	       "   bool_or(coalesce(s.null_frac, 0) > 0) AS nulls,"
	       "   bool_or(a.atttypid = 'pg_catalog.name'::regtype) AS has_name"
	       " FROM pg_class c"
	       " JOIN pg_namespace n ON n.oid = c.relnamespace"
	       " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
	       " LEFT JOIN pg_class tc ON tc.oid = c.reltoastrelid"
	       " LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname"
	       "   AND s.attname = a.attname AND NOT s.inherited AND" USER_SCHEMA("s.schemaname")
	       " WHERE c.relkind IN ('r', 'm') AND c.relpages > 0 AND" USER_SCHEMA("n.nspname")
	       " GROUP BY c.oid, n.nspname, tc.relpages, tc.reltuples),"
	       " e AS (SELECT w.*, bs::bigint * pages AS real,"
	       "   bs::bigint * (ceil(nrows / greatest(1, floor((bs - 24) * ff / 100.0 / (4"
	       "     + ma * ceil((23 + CASE WHEN nulls THEN ceil(ncols / 8.0) ELSE 0 END) / ma)"
	       "     + ma * ceil(width / ma))))) + ceil(toast_rows / 4)) AS expected"
	       "   FROM w WHERE nstats = ncols AND NOT has_name AND nrows >= 0),"
	       " b AS (SELECT e.*, real - expected AS bloat FROM e)"
	       " SELECT 'table_bloat', " BLOAT_SEVERITY ", nspname, relname, NULL,"
	       " " BLOAT_EVIDENCE("'estimate'") ")::text,"
	       " 'table ' || " QI("nspname") " || '.' || " QI("relname")
	       BLOAT_SENTENCE " || ' expected from its statistics (as of its last ANALYZE)',"
	       " " TABLE_ACTION
	       " FROM b WHERE bloat >= $1::bigint AND bloat::float8 / real >= $2::float8"
	       UNREADABLE("'table_bloat'", "tables",
			  " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
			  "c.relkind IN ('r', 'm')"
			  " AND c.relpages::bigint * current_setting('block_size')::int >= $1::bigint")
	       " ORDER BY 1, 3, 4";
}

const char *pg_advice_sql_index_bloat(int version)
{
	(void)version;
	/* after ioguix/pgsql-bloat-estimation btree/btree_bloat.sql: an index
	 * tuple takes its line pointer (4), its header (8, 12 with the null
	 * bitmap, aligned) and its data (aligned); a leaf page holds
	 * (block - 24 - 16 of btree special space) * fillfactor of them, and
	 * there is a metapage.  A column's statistics are the table's, an
	 * expression's the index's own */
	return "WITH a AS (SELECT i.indexrelid, n.nspname, t.relname AS tname, c.relname AS iname,"
	       "   c.reltuples AS nrows, c.relpages AS pages, " FILLFACTOR("c", "90") " AS ff,"
	       "   coalesce(ta.atttypid, ia.atttypid) AS atttypid, s.attname AS stat, s.null_frac, s.avg_width"
	       " FROM pg_index i"
	       " JOIN pg_class c ON c.oid = i.indexrelid"
	       " JOIN pg_class t ON t.oid = i.indrelid"
	       " JOIN pg_namespace n ON n.oid = t.relnamespace"
	       " JOIN pg_am am ON am.oid = c.relam AND am.amname = 'btree'"
	       " JOIN pg_attribute ia ON ia.attrelid = i.indexrelid AND ia.attnum > 0"
	       " LEFT JOIN pg_attribute ta ON ta.attrelid = i.indrelid"
	       "   AND ta.attnum = (string_to_array(i.indkey::text, ' ')::int[])[ia.attnum]"
	       " LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND NOT s.inherited AND"
	       USER_SCHEMA("s.schemaname")
	       "   AND s.tablename = CASE WHEN ta.attnum IS NULL THEN c.relname ELSE t.relname END"
	       "   AND s.attname = coalesce(ta.attname, ia.attname)"
	       " WHERE i.indisvalid AND c.relkind = 'i' AND c.relpages > 0 AND" USER_SCHEMA("n.nspname") "),"
	       " w AS (SELECT indexrelid, nspname, tname, iname, nrows, pages, ff,"
	       "   current_setting('block_size')::int AS bs, " MAXALIGN_SQL " AS ma,"
	       "   count(*) AS ncols, count(stat) AS nstats,"
	       "   sum((1 - coalesce(null_frac, 0)) * coalesce(avg_width, 0)) AS width,"
	       "   bool_or(coalesce(null_frac, 0) > 0) AS nulls,"
	       "   bool_or(atttypid = 'pg_catalog.name'::regtype) AS has_name"
	       " FROM a GROUP BY 1, 2, 3, 4, 5, 6, 7),"
	       " e AS (SELECT w.*, bs::bigint * pages AS real,"
	       "   bs::bigint * (1 + ceil(nrows / greatest(1, floor((bs - 24 - 16) * ff / 100.0 / (4"
	       "     + ma * ceil((8 + CASE WHEN nulls THEN 4 ELSE 0 END) / ma::numeric)"
	       "     + ma * ceil(width / ma)))))) AS expected"
	       "   FROM w WHERE nstats = ncols AND NOT has_name AND nrows >= 0),"
	       " b AS (SELECT e.*, real - expected AS bloat FROM e)"
	       " SELECT 'index_bloat', " BLOAT_SEVERITY ", nspname, tname, iname,"
	       " " BLOAT_EVIDENCE("'estimate'") ")::text,"
	       " 'index ' || " QI("iname") " || ' on ' || " QI("nspname") " || '.' || " QI("tname")
	       BLOAT_SENTENCE " || ' expected from its statistics (as of its table''s last ANALYZE)',"
	       " format('REINDEX INDEX CONCURRENTLY %I.%I;', nspname, iname)"
	       " FROM b WHERE bloat >= $1::bigint AND bloat::float8 / real >= $2::float8"
	       UNREADABLE("'index_bloat'", "indexes",
			  " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
			  " JOIN pg_class c ON c.oid = i.indrelid"
			  " JOIN pg_namespace n ON n.oid = c.relnamespace",
			  "ic.relkind = 'i'"
			  " AND ic.relpages::bigint * current_setting('block_size')::int >= $1::bigint")
	       " ORDER BY 1, 3, 4, 5";
}

const char *pg_advice_sql_table_bloat_pgstattuple(int version)
{
	(void)version;
	/* the one %s is the schema; bloat: dead tuples and free space beyond
	 * what fillfactor keeps free */
	return "WITH b AS (SELECT n.nspname, c.relname, c.reltuples AS nrows,"
	       "   " FILLFACTOR("c", "100") " AS ff, p.table_len AS real, p.scanned_percent,"
	       "   p.dead_tuple_len, p.approx_free_space,"
	       "   greatest(0, p.dead_tuple_len + p.approx_free_space"
	       "     - p.table_len * (100 - " FILLFACTOR("c", "100") ") / 100) AS bloat"
	       " FROM pg_class c"
	       " JOIN pg_namespace n ON n.oid = c.relnamespace,"
	       " LATERAL %s.pgstattuple_approx(c.oid::regclass) p"
	       " WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't' AND" USER_SCHEMA("n.nspname")
	       " AND pg_relation_size(c.oid) >= $1::bigint)"
	       " SELECT 'table_bloat', " BLOAT_SEVERITY ", nspname, relname, NULL,"
	       " " BLOAT_EVIDENCE("'pgstattuple_approx'") ","
	       "   'scanned_percent', scanned_percent, 'dead_tuple_bytes', dead_tuple_len,"
	       "   'free_bytes', approx_free_space)::text,"
	       " 'table ' || " QI("nspname") " || '.' || " QI("relname")
	       BLOAT_SENTENCE " || ' measured by pgstattuple_approx (dead rows and free space)',"
	       " " TABLE_ACTION
	       " FROM b WHERE real > 0 AND bloat >= $1::bigint AND bloat::float8 / real >= $2::float8"
	       " ORDER BY 3, 4";
}

const char *pg_advice_sql_wraparound(int version)
{
	(void)version;
	/* the database's row first; a table's age is its TOAST table's when
	 * that is older */
	return "WITH l AS (SELECT $1::float8 AS lim,"
	       "   current_setting('autovacuum_freeze_max_age')::bigint AS fmax,"
	       "   current_setting('autovacuum_multixact_freeze_max_age')::bigint AS mmax),"
	       " r AS (SELECT 0 AS ord, NULL::name AS nspname, NULL::name AS relname,"
	       "   d.datname AS obj, false AS other_temp,"
	       "   age(d.datfrozenxid)::bigint AS xid_age, mxid_age(d.datminmxid)::bigint AS mxid_age"
	       "   FROM pg_database d WHERE d.datname = current_database()"
	       " UNION ALL"
	       " SELECT 1, n.nspname, c.relname, NULL, pg_is_other_temp_schema(n.oid),"
	       "   greatest(age(c.relfrozenxid), age(tc.relfrozenxid)),"
	       "   greatest(mxid_age(c.relminmxid), mxid_age(tc.relminmxid))"
	       "   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	       "   LEFT JOIN pg_class tc ON tc.oid = c.reltoastrelid"
	       "   WHERE c.relkind IN ('r', 'm')),"
	       " p AS (SELECT r.*, l.*, 100 * xid_age / lim AS xp, 100 * mxid_age / lim AS mp"
	       "   FROM r CROSS JOIN l)"
	       " SELECT 'wraparound', CASE WHEN greatest(xp, mp) >= 80 THEN 'critical' ELSE 'warning' END,"
	       " nspname, relname, obj,"
	       " jsonb_build_object('xid_age', xid_age, 'mxid_age', mxid_age,"
	       "   'autovacuum_freeze_max_age', fmax, 'autovacuum_multixact_freeze_max_age', mmax,"
	       "   'wraparound_limit', lim::bigint, 'xid_percent', round(xp::numeric, 1),"
	       "   'mxid_percent', round(mp::numeric, 1))::text,"
	       " CASE WHEN ord = 0 THEN 'database ' || " QI("obj") " ELSE 'table ' || " QI("nspname")
	       "   || '.' || " QI("relname") " END"
	       "   || ' is ' || round(greatest(xp, mp)::numeric, 1) || ' % of the way to '"
	       "   || CASE WHEN xp >= mp THEN 'transaction ID wraparound (age ' || xid_age"
	       "     ELSE 'multixact ID wraparound (age ' || mxid_age END"
	       "   || ', autovacuum forces a freeze from '"
	       "   || CASE WHEN xp >= mp THEN fmax ELSE mmax END || ')'"
	       "   || CASE WHEN other_temp THEN '; it is a temporary table of another session, which"
	       " only that session can vacuum: end the session' ELSE '' END,"
	       " CASE WHEN ord = 0 THEN '-- freeze the oldest tables of this database first (the'"
	       "   || ' wraparound rows of its tables), e.g. vacuumdb --freeze --min-xid-age=' || fmax"
	       "   || chr(10) || '-- if ages do not fall: look for old transactions (pg_stat_activity),'"
	       "   || ' prepared transactions (pg_prepared_xacts) and replication slots'"
	       "   || ' (pg_replication_slots xmin, catalog_xmin) holding the horizon back'"
	       "   WHEN NOT other_temp THEN format('VACUUM (FREEZE, VERBOSE) %I.%I;', nspname, relname) END"
	       " FROM p WHERE greatest(xp, mp) >= 50"
	       " ORDER BY ord, greatest(xp, mp) DESC, 3, 4";
}

const char *pg_advice_sql_sequence_exhaustion(int version)
{
	(void)version;
	/* the owning column through pg_depend (serial 'a', identity 'i'); the
	 * range used: last_value over the effective bound (its sign the
	 * sequence's direction) */
	return "WITH q AS (SELECT ps.schemaname, ps.sequencename, ps.last_value, ps.max_value,"
	       "   ps.min_value, ps.increment_by, ps.data_type::text AS seq_type,"
	       "   has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable,"
	       "   tn.nspname AS tschema, t.relname AS tname, a.attname AS col,"
	       "   a.atttypid::regtype::text AS col_type"
	       " FROM pg_sequences ps"
	       " JOIN pg_namespace n ON n.nspname = ps.schemaname"
	       " JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = ps.sequencename"
	       " LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid"
	       "   AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0"
	       "   AND d.deptype IN ('a', 'i')"
	       " LEFT JOIN pg_class t ON t.oid = d.refobjid"
	       " LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace"
	       " LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
	       " WHERE NOT ps.cycle AND" USER_SCHEMA("n.nspname") "),"
	       " c AS (SELECT q.*, CASE WHEN increment_by > 0 THEN max_value ELSE min_value END AS seq_lim,"
	       "   CASE WHEN increment_by > 0 THEN CASE col_type WHEN 'smallint' THEN 32767"
	       "     WHEN 'integer' THEN 2147483647 WHEN 'bigint' THEN 9223372036854775807 END"
	       "   ELSE CASE col_type WHEN 'smallint' THEN -32768 WHEN 'integer' THEN -2147483648"
	       "     WHEN 'bigint' THEN -9223372036854775808 END END AS col_lim"
	       "   FROM q WHERE last_value IS NOT NULL),"
	       " u AS (SELECT c.*, col_lim IS NULL OR abs(seq_lim::numeric) < abs(col_lim) AS seq_bound,"
	       "   CASE WHEN col_lim IS NULL OR abs(seq_lim::numeric) < abs(col_lim) THEN seq_lim"
	       "     ELSE col_lim END AS bound FROM c),"
	       " p AS (SELECT u.*, CASE WHEN sign(last_value) = sign(bound)"
	       "   THEN 100 * last_value::float8 / bound ELSE 0 END AS pct FROM u)"
	       " SELECT 'sequence_exhaustion', CASE WHEN pct >= $2::float8 THEN 'critical'"
	       "   ELSE 'warning' END, schemaname, tname, sequencename,"
	       " jsonb_build_object('last_value', last_value, 'max_value', bound,"
	       "   'sequence_max_value', seq_lim,"
	       "   'column', col, 'column_type', col_type, 'used_percent', round(pct::numeric, 2))::text,"
	       " 'sequence ' || " QI("schemaname") " || '.' || " QI("sequencename")
	       "   || CASE WHEN tname IS NOT NULL THEN ' of ' || " QI("tschema") " || '.' || "
	       QI("tname") " || '.' || " QI("col") " || ' (' || col_type || ')' ELSE '' END"
	       "   || ' has used ' || round(pct::numeric, 1) || ' % of its range (' || last_value"
	       "   || ' of ' || bound || CASE WHEN seq_bound THEN ', the sequence''s own limit'"
	       "     ELSE ', the column type''s limit' END || ')'"
	       "   || CASE WHEN tname IS NULL AND seq_bound THEN '; check the columns its values go to'"
	       "     ELSE '' END,"
	       " CASE WHEN col_type IN ('smallint', 'integer') THEN"
	       "   '-- rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (no reads,'"
	       "   || ' no writes) for as long as that takes:' || chr(10)"
	       "   || format('ALTER TABLE %I.%I ALTER COLUMN %I TYPE bigint;', tschema, tname, col)"
	       "   || chr(10) || format('ALTER SEQUENCE %I.%I AS bigint MAXVALUE 9223372036854775807;',"
	       "     schemaname, sequencename)"
	       "   WHEN seq_bound AND seq_type <> 'bigint' AND increment_by > 0 THEN"
	       "   format('ALTER SEQUENCE %I.%I AS bigint MAXVALUE 9223372036854775807;',"
	       "     schemaname, sequencename)"
	       "   WHEN seq_bound AND increment_by > 0 AND max_value < 9223372036854775807 THEN"
	       "   format('ALTER SEQUENCE %I.%I MAXVALUE 9223372036854775807;', schemaname, sequencename)"
	       "   END"
	       " FROM p WHERE pct >= $1::float8"
	       " UNION ALL"
	       " SELECT 'needs_privilege', 'info', NULL, NULL, NULL,"
	       " jsonb_build_object('check', 'sequence_exhaustion',"
	       "   'unreadable_sequences', count(*))::text,"
	       " count(*) || ' sequences were left out of the exhaustion check: their last_value'"
	       "   || ' needs SELECT or USAGE on them, which this role lacks',"
	       " string_agg(DISTINCT format('GRANT SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I;',"
	       "   schemaname, current_user), chr(10))"
	       " FROM q WHERE NOT readable HAVING count(*) > 0"
	       " ORDER BY 1, 3, 5";
}

/* The DBA's statements whose plans the advisor reads: by query id (the
 * collector's costliest), else the costliest since the reset, not the
 * agent's role's.  Utility statements are left to the caller (it parses
 * every text). */
const char *pg_advice_sql_statements(int version)
{
	if (version >= 140000)
		return "SELECT s.queryid::text, d.datname, s.query, s.calls::float8,"
		       " s.total_exec_time::float8, s.rows::float8"
		       " FROM %s.pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
		       " WHERE s.toplevel AND s.query IS NOT NULL"
		       " AND d.datname IN (SELECT json_array_elements_text($3::json))"
		       " AND CASE WHEN json_array_length($1::json) > 0"
		       " THEN s.queryid IN (SELECT json_array_elements_text($1::json)::bigint)"
		       " ELSE s.userid <> (SELECT oid FROM pg_roles WHERE rolname = current_user) END"
		       " ORDER BY s.total_exec_time DESC LIMIT $2::int";
	return "SELECT s.queryid::text, d.datname, s.query, s.calls::float8,"
	       " s.total_time::float8, s.rows::float8"
	       " FROM %s.pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
	       " WHERE s.query IS NOT NULL"
	       " AND d.datname IN (SELECT json_array_elements_text($3::json))"
	       " AND CASE WHEN json_array_length($1::json) > 0"
	       " THEN s.queryid IN (SELECT json_array_elements_text($1::json)::bigint)"
	       " ELSE s.userid <> (SELECT oid FROM pg_roles WHERE rolname = current_user) END"
	       " ORDER BY s.total_time DESC LIMIT $2::int";
}

const char *pg_advice_sql_table_sizes(int version)
{
	(void)version;
	return "SELECT n.nspname, c.relname, pg_table_size(c.oid)::float8"
	       " FROM json_to_recordset($1::json) AS t(schema text, name text)"
	       " JOIN pg_namespace n ON n.nspname = t.schema"
	       " JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name";
}

const char *pg_advice_sql_index_columns(int version)
{
	(void)version;
	return "WITH t AS (SELECT t.ord, to_regclass(CASE WHEN t.schema IS NULL"
	       " THEN quote_ident(t.name) ELSE quote_ident(t.schema) || '.' || quote_ident(t.name)"
	       " END) AS oid FROM json_to_recordset($1::json) AS t(ord int, schema text, name text))"
	       " SELECT t.ord, n.nspname, c.relname, c.reltuples::float8, pg_table_size(c.oid)::float8,"
	       " a.attname, s.n_distinct::float8, s.null_frac::float8,"
	       " (SELECT max(f) FROM unnest(s.most_common_freqs) f)::float8,"
	       " EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisvalid"
	       " AND x.indpred IS NULL AND x.indkey[0] = a.attnum),"
	       " s.attname IS NOT NULL OR has_column_privilege(c.oid, a.attnum, 'SELECT')"
	       " FROM t JOIN pg_class c ON c.oid = t.oid"
	       " JOIN pg_namespace n ON n.oid = c.relnamespace"
	       " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
	       " LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname"
	       " AND s.attname = a.attname AND NOT s.inherited"
	       " WHERE c.relkind IN ('r', 'm', 'p')"
	       " AND a.attname IN (SELECT json_array_elements_text($2::json))"
	       " ORDER BY t.ord, a.attnum";
}
