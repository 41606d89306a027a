/*
 * http.c -- the HTTP endpoint on libmicrohttpd (see http.h).
 *
 * libmicrohttpd runs its own thread pool (MHD_USE_AUTO_INTERNAL_THREAD);
 * handlers run on those threads.  A handler's body buffer is given to
 * libmicrohttpd as is (MHD_RESPMEM_MUST_FREE), so answering a scrape costs
 * the handler's merge and nothing more.
 */
#include "autoconfig.h"
#include "http.h"
#include "log.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

struct http_server {
	struct MHD_Daemon *daemon;
	const struct http_route *routes;
	void *ctx;
	unsigned port;
	char last_error[256];
};

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct http_server *srv = cls;
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	snprintf(srv->last_error, sizeof(srv->last_error), "%s", msg);
	log_debug("http", NULL, "libmicrohttpd: %s", msg);
}

/* Whether an Accept-Encoding value allows gzip ("gzip" or "*", not q=0). */
static int gzip_accepted(const char *v)
{
	char copy[512];
	if (!v)
		return 0;
	snprintf(copy, sizeof(copy), "%s", v);
	char *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *params = strchr(item, ';');
		if (params)
			*params++ = '\0';
		char *name = item + strspn(item, " \t");
		name[strcspn(name, " \t")] = '\0';
		if (strcasecmp(name, "gzip") != 0 && strcmp(name, "*") != 0)
			continue;
		char *q = params ? strstr(params, "q=") : NULL;
		return !q || strtod(q + 2, NULL) > 0;
	}
	return 0;
}

static MHD_RESULT queue_text(struct MHD_Connection *conn, unsigned status, const char *text,
			     const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	MHD_RESULT rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static MHD_RESULT on_request(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload_data,
			     size_t *upload_size, void **req_cls)
{
	struct http_server *srv = cls;
	(void)version;
	(void)upload_data;
	(void)req_cls;

	int head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
		*upload_size = 0;
		return queue_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
	}
	const struct http_route *route = NULL;
	for (const struct http_route *r = srv->routes; r->path; r++)
		if (strcmp(r->path, url) == 0)
			route = r;
	if (!route)
		return queue_text(conn, MHD_HTTP_NOT_FOUND, "not found\n", NULL);

	struct http_request req = {
		.path = url,
		.head = head,
		.accepts_gzip = gzip_accepted(MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING)),
	};
	struct http_response resp = { .status = 200 };
	buf_init(&resp.body, (size_t)1 << 30);
	if (route->handler(srv->ctx, &req, &resp) < 0) {
		buf_release(&resp.body);
		return queue_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n", NULL);
	}
	size_t len;
	char *body = buf_detach(&resp.body, &len);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				resp.content_type ? resp.content_type : "text/plain; charset=utf-8");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (resp.cache_control)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, resp.cache_control);
	if (resp.gzip)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (strcmp(url, "/metrics") == 0)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	MHD_RESULT rc = MHD_queue_response(conn, resp.status ? resp.status : 200, r);
	MHD_destroy_response(r);
	return rc;
}

/* Resolves host:port into a socket address for binding. */
static int resolve(const struct http_options *opt, struct sockaddr_storage *ss, socklen_t *len,
		   char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%u", opt->port);
	int rc = getaddrinfo(opt->host[0] ? opt->host : NULL, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", opt->host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct http_server *http_start(const struct http_options *opt, const struct http_route *routes,
			       void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	if (resolve(opt, &ss, &sslen, err, errlen) < 0)
		return NULL;
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	srv->routes = routes;
	srv->ctx = ctx;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(
		flags, (uint16_t)opt->port, NULL, NULL, on_request, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opt->threads ? opt->threads : 2),
		MHD_OPTION_CONNECTION_LIMIT, opt->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, opt->per_ip_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout_seconds,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, opt->memory_limit,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, srv,
		MHD_OPTION_END);
	if (!srv->daemon) {
		char addr[INET6_ADDRSTRLEN + 2] = "";
		snprintf(addr, sizeof(addr), "%s", opt->host);
		snprintf(err, errlen, "cannot listen on '%s:%u': %s", addr, opt->port,
			 srv->last_error[0] ? srv->last_error : "libmicrohttpd failed to start");
		free(srv);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : opt->port;
	return srv;
}

unsigned http_port(const struct http_server *srv)
{
	return srv->port;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->daemon);
	free(srv);
}
