/*
 * http.h -- the agent's HTTP endpoint (libmicrohttpd).
 *
 * Serves a small table of routes; a route's handler fills a response from
 * ready data (the store's blocks) and never touches a database.  Only GET
 * and HEAD are served (405 otherwise), unknown paths get 404.  Connection
 * count, per-IP connections, idle timeout and per-connection memory are
 * bounded, because libmicrohttpd's defaults are unsafe on an open port.
 */
#ifndef DBPULSE_HTTP_H
#define DBPULSE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct http_request {
	const char *path;
	int head;                /* HEAD rather than GET */
	int accepts_gzip;        /* Accept-Encoding allows gzip */
	void *conn;              /* libmicrohttpd's, for http_arg() */
	const char *const *args; /* without conn (tests): name, value, ..., NULL */
};

/* The value of a query-string argument (?name=value), or NULL. */
const char *http_arg(const struct http_request *req, const char *name);

struct http_response {
	unsigned status;         /* 200 when left at 0 */
	const char *content_type;
	struct buf body;         /* handed to libmicrohttpd without a copy */
	int gzip;                /* body is gzip-encoded */
	const char *cache_control;
	const char *csp;         /* Content-Security-Policy (pages): also sends
				  * Referrer-Policy and X-Frame-Options */
};

/* A handler fills resp; returns 0, or -1 for a 500. */
typedef int (*http_handler)(void *ctx, const struct http_request *req, struct http_response *resp);

struct http_route {
	const char *path;
	http_handler handler;
};

struct http_auth;

/* TLS material, PEM in memory (the caller reads the files). */
struct http_tls {
	const char *cert;           /* certificate chain */
	const char *key;            /* its private key */
	const char *client_ca;      /* NULL: no client certificates asked for */
	const char *priorities;     /* GnuTLS priority string (minimum version) */
};

struct http_options {
	const char *host;        /* "" for every interface */
	unsigned port;           /* 0: any free port */
	unsigned max_connections;
	unsigned per_ip_connections;
	unsigned timeout_seconds;
	size_t memory_limit;
	unsigned threads;
	/* These are the caller's: they must stay valid while a server uses
	 * them (until http_stop, or http_rebind returned). */
	const struct http_tls *tls;           /* NULL: plain HTTP */
	struct http_auth *auth;               /* NULL: no authentication */
	const char *const *auth_exempt;       /* paths served without it; NULL-ended */
};

/* Whether libmicrohttpd was built with TLS. */
int http_tls_supported(void);
/* Answers refused for a missing or bad client certificate since the start. */
unsigned long long http_tls_refused(void);

struct http_server;

/* Starts serving routes (a table ended by a NULL path) with ctx.  Returns
 * NULL with the reason in err when the address cannot be used. */
struct http_server *http_start(const struct http_options *opt, const struct http_route *routes,
			       void *ctx, char *err, size_t errlen);
/*
 * Serves old's socket under new options (same address, other limits): old
 * stops accepting at once, and is stopped after its requests in flight had
 * a moment; the port never closes.  Returns the server now serving: the new
 * one; old itself with err set if its socket could not be taken over; or
 * NULL, old being gone and err set, if no server could start on it.
 */
struct http_server *http_rebind(struct http_server *old, const struct http_options *opt,
				char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
unsigned http_port(const struct http_server *srv);
void http_stop(struct http_server *srv);

#endif
