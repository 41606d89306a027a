-- advice_fixture.sql -- a database with one of each problem the
-- optimization advisor finds (collectors/pg_advice_sql.h), and a healthy
-- schema that must yield no finding at all.
--
-- Run as a superuser in a fresh, empty database:
--   createdb advice && psql -X -v ON_ERROR_STOP=1 -d advice -f advice_fixture.sql
-- One statement fails on purpose (the CREATE INDEX CONCURRENTLY that leaves
-- an invalid index; it cannot run in a transaction block, so the file runs
-- in autocommit); the file turns ON_ERROR_STOP off around it alone.  The
-- index scans below report their counts when the session ends, a second or
-- so later.
--
-- What the advisor should find (names as created here):
--   unused_index       'idx unused "ü"' on 'odd schema "q" ñ'.'x"; DROP TABLE t; --'
--   duplicate_index    dup_a_2 (duplicate of dup_a_1) on public.dup_t
--   redundant_index    red_a (a leading prefix of red_ab) on public.red_t
--   invalid_index      inv_a_uniq on public.inv_t
--   fk_without_index   fk_child_parent on 'odd schema "q" ñ'.fk_child
--                      (column 'Parent "Id"')
--   seq_scan_heavy     public.big_t (100,000 rows, scanned sequentially)
--   table_bloat        public.bloat_t (every row updated four times, no vacuum)
--   index_bloat        public.bloat_t_pkey
--   sequence_exhaustion public.seq_t_id_seq (int4 serial, 93 %: critical),
--                      public.seq2_t_id_seq (int2 identity, 80 %: warning),
--                      public."ticket seq" (MAXVALUE 1000, 95 %: critical)
--   wraparound         nothing (a fresh cluster is young)
-- Schema healthy: nothing.

SET client_min_messages = warning;
-- the planner picks the index each probe below means to count
SET enable_seqscan = off;

-- 1. unused index, with hostile names --------------------------------------
CREATE SCHEMA "odd schema ""q"" ñ";
CREATE TABLE "odd schema ""q"" ñ"."x""; DROP TABLE t; --" (
	id int PRIMARY KEY,
	v int NOT NULL,
	w text
);
CREATE INDEX "idx unused ""ü""" ON "odd schema ""q"" ñ"."x""; DROP TABLE t; --" (w);
INSERT INTO "odd schema ""q"" ñ"."x""; DROP TABLE t; --"
	SELECT g, g % 7, md5(g::text) FROM generate_series(1, 5000) g;
UPDATE "odd schema ""q"" ñ"."x""; DROP TABLE t; --" SET v = v + 1 WHERE id <= 100;

-- 2. a duplicate pair and a redundant prefix ------------------------------
CREATE TABLE public.dup_t (id serial PRIMARY KEY, a int, b int);
INSERT INTO public.dup_t (a, b) SELECT g % 100, g FROM generate_series(1, 2000) g;
CREATE INDEX dup_a_1 ON public.dup_t (a);
CREATE INDEX dup_a_2 ON public.dup_t (a);

CREATE TABLE public.red_t (id serial PRIMARY KEY, a int, b int);
INSERT INTO public.red_t (a, b) SELECT g % 100, g FROM generate_series(1, 2000) g;
CREATE INDEX red_a ON public.red_t (a);
CREATE INDEX red_ab ON public.red_t (a, b);

-- each is scanned once, so that none of them is also unused: the other is
-- dropped in a transaction rolled back (scan counts are not transactional)
BEGIN; DROP INDEX public.dup_a_2; SELECT count(*) FROM public.dup_t WHERE a = 5; ROLLBACK;
BEGIN; DROP INDEX public.dup_a_1; SELECT count(*) FROM public.dup_t WHERE a = 5; ROLLBACK;
BEGIN; DROP INDEX public.red_ab; SELECT count(*) FROM public.red_t WHERE a = 5; ROLLBACK;
BEGIN; DROP INDEX public.red_a; SELECT count(*) FROM public.red_t WHERE a = 5 AND b = 5; ROLLBACK;

-- 3. an invalid index: CREATE UNIQUE INDEX CONCURRENTLY fails on a
-- duplicate key and leaves the index behind, invalid ----------------------
CREATE TABLE public.inv_t (a int);
INSERT INTO public.inv_t VALUES (1), (2), (2), (3);
\set ON_ERROR_STOP off
CREATE UNIQUE INDEX CONCURRENTLY inv_a_uniq ON public.inv_t (a);
\set ON_ERROR_STOP on

-- 4. a foreign key without an index (a hostile column name) ---------------
CREATE TABLE "odd schema ""q"" ñ".fk_parent (id int PRIMARY KEY);
CREATE TABLE "odd schema ""q"" ñ".fk_child (
	id int PRIMARY KEY,
	"Parent ""Id""" int,
	CONSTRAINT fk_child_parent FOREIGN KEY ("Parent ""Id""")
		REFERENCES "odd schema ""q"" ñ".fk_parent (id)
);
INSERT INTO "odd schema ""q"" ñ".fk_parent SELECT g FROM generate_series(1, 3000) g;
INSERT INTO "odd schema ""q"" ñ".fk_child SELECT g, g % 3000 + 1 FROM generate_series(1, 3000) g;
DELETE FROM "odd schema ""q"" ñ".fk_child WHERE id > 2900;
DELETE FROM "odd schema ""q"" ñ".fk_parent WHERE id > 2990
	AND id NOT IN (SELECT "Parent ""Id""" FROM "odd schema ""q"" ñ".fk_child);

-- 5. a large table scanned sequentially -----------------------------------
-- ("Ref ""Ü""", without an index, is what advice.sh's statement filters
-- on: its suggested_index, with a name to quote)
CREATE TABLE public.big_t (id bigint PRIMARY KEY, payload text, "Ref ""Ü""" int);
INSERT INTO public.big_t SELECT g, md5(g::text), g % 50000 FROM generate_series(1, 100000) g;
SET enable_seqscan = on;
SELECT count(*) FROM public.big_t WHERE payload = 'x';
SELECT count(*) FROM public.big_t WHERE payload = 'y';
SELECT count(*) FROM public.big_t WHERE payload LIKE '%z%';
SET enable_seqscan = off;
SELECT count(*) FROM public.big_t WHERE id = 5;

-- 6. a bloated table (and its bloated primary key) ------------------------
CREATE TABLE public.bloat_t (id int PRIMARY KEY, v int, pad text)
	WITH (autovacuum_enabled = false);
INSERT INTO public.bloat_t SELECT g, 0, repeat('p', 60) FROM generate_series(1, 50000) g;
UPDATE public.bloat_t SET v = v + 1;
UPDATE public.bloat_t SET v = v + 1;
UPDATE public.bloat_t SET v = v + 1;
UPDATE public.bloat_t SET v = v + 1;
SELECT count(*) FROM public.bloat_t WHERE id = 5;

-- 8. sequences near their column's maximum --------------------------------
CREATE TABLE public.seq_t (id serial PRIMARY KEY, v text);
SELECT setval('public.seq_t_id_seq', 2000000000);
CREATE TABLE public.seq2_t (id smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
SELECT setval(pg_get_serial_sequence('public.seq2_t', 'id'), 26300);
-- a sequence of its own whose MAXVALUE is the limit
CREATE SEQUENCE public."ticket seq" AS integer MAXVALUE 1000;
SELECT setval('public."ticket seq"', 950);

-- the healthy schema: keys, unique constraints, partial and expression
-- indexes, a partitioned table with its indexes, indexed foreign keys,
-- sequences far from their end.  No finding. ------------------------------
CREATE SCHEMA healthy;
CREATE TABLE healthy.parent (
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	code text NOT NULL UNIQUE,
	created date NOT NULL DEFAULT '2025-01-01',
	active boolean NOT NULL DEFAULT true
);
-- a longer index behind the unique (code) and the primary key (id): the
-- shorter ones are unique, so neither is redundant
CREATE INDEX parent_code_created ON healthy.parent (code, created);
CREATE INDEX parent_id_created ON healthy.parent (id, created);
CREATE INDEX parent_lower_code ON healthy.parent (lower(code));
CREATE INDEX parent_active_created ON healthy.parent (created) WHERE active;
-- a partial index on the same column is not a duplicate of a full one
CREATE INDEX parent_created ON healthy.parent (created);
CREATE TABLE healthy.child (
	id serial PRIMARY KEY,
	parent_id bigint NOT NULL REFERENCES healthy.parent (id),
	note text
);
CREATE INDEX child_parent_id ON healthy.child (parent_id, id);
CREATE TABLE healthy.multi_parent (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE healthy.multi_child (
	id int PRIMARY KEY, a int, b int, c int,
	FOREIGN KEY (a, b) REFERENCES healthy.multi_parent (a, b)
);
-- leads with the key's columns as a set, in another order
CREATE INDEX multi_child_bac ON healthy.multi_child (b, a, c);
CREATE TABLE healthy.part (
	id bigint NOT NULL, ts date NOT NULL, parent_id bigint REFERENCES healthy.parent (id),
	PRIMARY KEY (id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE healthy.part_2025 PARTITION OF healthy.part FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE healthy.part_2026 PARTITION OF healthy.part FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX part_parent_id ON healthy.part (parent_id);
CREATE TABLE healthy."Wéird ""name"" t" (
	"ID" serial PRIMARY KEY,
	"Ref" bigint REFERENCES healthy.parent (id)
);
CREATE INDEX "Wéird ref" ON healthy."Wéird ""name"" t" ("Ref");
CREATE SEQUENCE healthy.big_seq AS bigint;
SELECT nextval('healthy.big_seq');
CREATE SEQUENCE healthy.down_seq INCREMENT -1;
SELECT nextval('healthy.down_seq');
CREATE SEQUENCE healthy.cycle_seq AS smallint MAXVALUE 10 CYCLE;
SELECT setval('healthy.cycle_seq', 10);

INSERT INTO healthy.parent (code, created, active)
	SELECT 'c' || g, date '2025-01-01' + g % 300, g % 2 = 0 FROM generate_series(1, 1000) g;
INSERT INTO healthy.child (parent_id) SELECT 1 + g % 1000 FROM generate_series(1, 2000) g;
INSERT INTO healthy.multi_parent SELECT g, g FROM generate_series(1, 100) g;
INSERT INTO healthy.multi_child SELECT g, g % 100 + 1, g % 100 + 1, g FROM generate_series(1, 300) g;
INSERT INTO healthy.part SELECT g, date '2025-06-01' + g % 300, 1 + g % 1000 FROM generate_series(1, 2000) g;
INSERT INTO healthy."Wéird ""name"" t" ("Ref") SELECT 1 + g % 1000 FROM generate_series(1, 500) g;

-- use every index that is not unique (partition indexes included)
SELECT count(*) FROM healthy.parent WHERE code = 'c5' AND created = '2025-01-06';
BEGIN; DROP INDEX healthy.parent_code_created;
	SELECT count(*) FROM healthy.parent WHERE id = 5 AND created = '2025-01-06'; ROLLBACK;
SELECT count(*) FROM healthy.parent WHERE lower(code) = 'c5';
SELECT count(*) FROM healthy.parent WHERE created = '2025-01-06' AND active;
SELECT count(*) FROM healthy.parent WHERE created = '2025-01-06' AND NOT active;
SELECT count(*) FROM healthy.child WHERE parent_id = 5;
SELECT count(*) FROM healthy.multi_child WHERE b = 5 AND a = 5;
SELECT count(*) FROM healthy.part WHERE parent_id = 5;
SELECT count(*) FROM healthy."Wéird ""name"" t" WHERE "Ref" = 5;
RESET enable_seqscan;

ANALYZE;
