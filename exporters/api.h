/*
 * api.h -- the JSON API for the DBA's page and `dbpulse top`:
 *
 *   GET /api/targets                     every target, its state and views
 *   GET /api/queries?target=&window=&sort=&limit=&db=&user=&include_own=
 *                                        a database target's statements
 *   GET /api/activity?target=            its busy sessions right now
 *   GET /api/advice?target=&db=&kind=&severity=
 *                                        the optimization advisor's findings
 *   GET /api/timescaledb?target=         TimescaleDB's background jobs and their
 *                                        recent errors in its databases
 *   GET /api/slowlog?target=             a Redis target's slow log
 *   GET /api/pools?target=               a PgBouncer target's pools
 *
 * Handlers answer from the store's published entries (their typed views,
 * dbview.h), never from a database or a collector.  Bad or missing
 * parameters get a 400 whose JSON names the parameter and the values it
 * allows; unknown targets a 404 (/api/queries, /api/activity and
 * /api/advice: a 400 about 'target'); targets not collected yet, or down,
 * a 503.  /api/timescaledb answers 200 with empty lists for a PostgreSQL
 * target without TimescaleDB (or not read yet: collected_at null).  Every answer is application/json with Cache-Control: no-store.
 */
#ifndef DBPULSE_API_H
#define DBPULSE_API_H

#include "http.h"

struct store;

int api_targets(struct store *store, const struct http_request *req, struct http_response *resp);
int api_queries(struct store *store, const struct http_request *req, struct http_response *resp);
int api_activity(struct store *store, const struct http_request *req, struct http_response *resp);
int api_advice(struct store *store, const struct http_request *req, struct http_response *resp);
int api_timescaledb(struct store *store, const struct http_request *req, struct http_response *resp);
int api_slowlog(struct store *store, const struct http_request *req, struct http_response *resp);
int api_pools(struct store *store, const struct http_request *req, struct http_response *resp);

/* A JSON error body {"error": message}, with status. */
int api_error(struct http_response *resp, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* epoch seconds as "2026-12-01T19:20:00.123Z" (UTC, milliseconds). */
void api_time(double epoch, char out[32]);

#endif
