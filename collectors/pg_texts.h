/*
 * pg_texts.h -- the statement texts of one PostgreSQL target: a bounded
 * cache of the texts (or of why PostgreSQL has none) of the statements the
 * agent exports or shows, which of them the next read of
 * pg_stat_statements should bring, and the budget that bounds what those
 * reads cost the server.
 *
 * Why a budget: pg_stat_statements(true) reads the whole query text file
 * and copies every text, whatever the WHERE clause, so its cost grows with
 * the number and length of all statements, not with the few asked for.
 * The collector therefore asks for texts in the read of the counters it
 * makes anyway (one query: the counters of every statement, the text of
 * the wanted ones), and only in cycles whose extra cost the budget covers:
 * PG_TEXT_BUDGET of a cycle's server time, saved up to PG_TEXT_SAVE_CYCLES
 * cycles' worth, so that a burst of new statements gets its texts at once
 * and a steady stream of them costs the server at most PG_TEXT_BUDGET more
 * on average.
 *
 * Pure: no I/O, no libpq, no logging; one instance per target, used by its
 * worker thread only (pg_stmt_collect.c).
 */
#ifndef DBPULSE_PG_TEXTS_H
#define DBPULSE_PG_TEXTS_H

#include <stddef.h>
#include <stdint.h>

enum pg_text_state {
	PG_TEXT_PENDING,      /* wanted, not fetched yet */
	PG_TEXT_OK,
	PG_TEXT_DROPPED,      /* PostgreSQL has none: the entry was evicted or reset, or
				 its text file could not be read */
	PG_TEXT_NO_PRIVILEGE, /* "<insufficient privilege>" (the role lacks pg_read_all_stats) */
};

struct pg_text {
	int64_t queryid;
	char *text;                /* valid UTF-8, NULL unless PG_TEXT_OK: a shared text
				      (dbview.h) the cache holds a reference to; a view
				      keeps it with view_hold(), never writes to it */
	enum pg_text_state state;
	uint64_t used;             /* last cycle it was wanted */
	uint64_t exported;         /* the caller's: last cycle pg_stat_statements_query_id had it */
	int64_t checked_ms;        /* when PostgreSQL last said it has no text */
};

struct pg_texts;

/* max_bytes and max_entries bound the cache (texts and entries, which also
 * bounds its linear passes); max_text bounds one text (bytes).  Never
 * NULL. */
struct pg_texts *pg_texts_new(size_t max_bytes, size_t max_entries, size_t max_text);
void pg_texts_free(struct pg_texts *t);

/* The entry of queryid, or NULL.  Valid until the next call that adds or
 * trims. */
struct pg_text *pg_texts_find(struct pg_texts *t, int64_t queryid);

/* What to show for an entry (NULL: not wanted yet) without its text:
 * "text not fetched yet", "text dropped by pg_stat_statements" or "no
 * privilege"; NULL when it has its text. */
const char *pg_texts_missing(const struct pg_text *e);

/* Marks queryid wanted in cycle (an entry PG_TEXT_PENDING when it had
 * none).  Returns the entry. */
struct pg_text *pg_texts_want(struct pg_texts *t, int64_t queryid, uint64_t cycle);

/* The ids the next read should bring: the entries wanted in cycle that are
 * pending, then those PostgreSQL had no text for at least retry_ms ago
 * (asked again only alongside others), at most max into ids.  *pending
 * gets how many pending ones were wanted (also beyond max); the read is
 * worth making only when it is not 0.  Returns how many ids were written. */
size_t pg_texts_to_fetch(const struct pg_texts *t, uint64_t cycle, int64_t now_ms, int64_t retry_ms,
			 int64_t *ids, size_t max, size_t *pending);

/* A text PostgreSQL gave for queryid: kept cleaned to valid UTF-8, cut at
 * max_text bytes ("<insufficient privilege>" makes it PG_TEXT_NO_PRIVILEGE).
 * Returns 1 when the text was longer than max_text, else 0. */
int pg_texts_put(struct pg_texts *t, int64_t queryid, const char *text, uint64_t cycle);

/* After a read that asked for ids[0..n): those still without a text have
 * none (PG_TEXT_DROPPED, checked at now_ms). */
void pg_texts_fetched(struct pg_texts *t, const int64_t *ids, size_t n, int64_t now_ms);

/* Drops the least recently wanted entries until the cache is within its
 * bounds.  Returns how many were dropped. */
size_t pg_texts_trim(struct pg_texts *t);

/* The position of entry e, below the count of entries: stable until the
 * next call that adds or trims (for a caller's array parallel to the
 * entries). */
size_t pg_texts_index(const struct pg_texts *t, const struct pg_text *e);

/* Entries and bytes of text held. */
void pg_texts_usage(const struct pg_texts *t, size_t *entries, size_t *bytes);

/* ---- the budget of reads with texts ------------------------------------ */

#define PG_TEXT_BUDGET 0.1         /* of a cycle's server time, on average */
#define PG_TEXT_SAVE_CYCLES 10     /* the budget saved is capped at that many cycles' worth */
#define PG_TEXT_EWMA 0.25          /* weight of the newest measurement */
#define PG_TEXT_SAMPLES 4          /* the client's timings: the least of the last that many */

/* The last PG_TEXT_SAMPLES measurements of one kind.  The client's timing
 * of a read is its cost plus whatever else the machine made it wait (never
 * less): the least of the recent ones is the estimate, so that one slow
 * moment neither drains the budget nor starves the texts for many cycles
 * (an average would carry it on). */
struct pg_text_recent {
	double v[PG_TEXT_SAMPLES];
	unsigned n, next;
};

struct pg_text_budget {
	double plain_ms;           /* a read without texts (the least recent); 0: none yet */
	double extra_ms;           /* what a read with texts costs more (the least recent); 0: none yet */
	double saved_ms;           /* saved, less what reads with texts spent (may go below 0) */
	int first_allowed;         /* the one read allowed before a plain one is measured */
	struct pg_text_recent plain, extra;
};

/* One cycle: saves its share (PG_TEXT_BUDGET of cycle_ms, what a cycle
 * of the agent costs the server without texts; up to PG_TEXT_SAVE_CYCLES
 * shares or one read's extra, whichever is more) and says whether a read
 * with texts fits: the first one always, then (once a plain one is
 * measured) when the saved budget covers the extra a read with texts
 * costs. */
int pg_text_budget_allow(struct pg_text_budget *b, double cycle_ms);

/* What a read cost as the client timed it: ms, with texts or not.
 * Without, it updates plain_ms; with, it updates extra_ms and spends it,
 * the estimate of what a read with texts costs more (before a plain one is
 * measured there is no telling, and it spends nothing).  Returns the extra
 * this read measured (0 without texts). */
double pg_text_budget_spend(struct pg_text_budget *b, double ms, int with_texts);

/* The moving average of measurements (PG_TEXT_EWMA): avg 0 takes x. */
double pg_text_ewma(double avg, double x);

#endif
