/*
 * http.c -- the HTTP endpoint on libmicrohttpd (see http.h).
 *
 * libmicrohttpd runs its own thread pool (MHD_USE_AUTO_INTERNAL_THREAD);
 * handlers run on those threads.  A handler's body buffer is given to
 * libmicrohttpd as is (MHD_RESPMEM_MUST_FREE), so answering a scrape costs
 * the handler's merge and nothing more.  Responses are queued on the
 * second call of the access handler, once the request is complete, so
 * that connections stay open for the next scrape (keep-alive).
 * http_rebind() hands the listening socket from one daemon to the next, so
 * a reload that changes limits, certificates or users never closes the
 * port.  With a client CA, libmicrohttpd asks for a certificate in the
 * handshake and the first request of a connection is refused (403) unless
 * GnuTLS verified one against that CA.
 */
#include "autoconfig.h"
#include "http.h"
#include "http_auth.h"
#include "log.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include "banned.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

/* Every response: no sniffing, no framing, no referrer, nothing loaded by
 * what is not a page (pages bring their own policy). */
#define DEFAULT_CSP "default-src 'none'; frame-ancestors 'none'"
#define HSTS "max-age=31536000"
#define REALM "Basic realm=\"dbpulse\", charset=\"UTF-8\""

static atomic_ullong tls_refused;

struct http_server {
	struct MHD_Daemon *daemon;
	const struct http_route *routes;
	void *ctx;
	struct http_options opt;      /* host is not kept */
	unsigned port;
	atomic_int starting;          /* last_error is written only while set */
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
	if (atomic_load(&srv->starting))
		snprintf(srv->last_error, sizeof(srv->last_error), "%s", msg);
	log_debug("http", NULL, "libmicrohttpd: %s", msg);
}

/* Whether an Accept-Encoding value allows gzip: an explicit "gzip" entry
 * decides, else "*"; q=0 refuses (RFC 9110, 12.5.3). */
static int gzip_accepted(const char *v)
{
	int gzip = -1, star = -1;
	for (const char *p = v; p && *p;) {
		p += strspn(p, " \t,");
		const char *name = p;
		size_t nlen = strcspn(p, " \t,;");
		const char *end = p + strcspn(p, ",");
		int allowed = 1;
		const char *q = memchr(p, ';', (size_t)(end - p));
		while (q && q < end) {
			q += 1 + strspn(q + 1, " \t");
			if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=')
				allowed = strtod(q + 2, NULL) > 0;
			q = memchr(q, ';', (size_t)(end - q));
		}
		if (nlen == 4 && strncasecmp(name, "gzip", 4) == 0)
			gzip = allowed;
		else if (nlen == 1 && name[0] == '*')
			star = allowed;
		p = end;
	}
	return gzip >= 0 ? gzip : star > 0;
}

static void add_security_headers(struct MHD_Response *r, const struct http_server *srv,
				 const char *csp)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(r, "Content-Security-Policy", csp ? csp : DEFAULT_CSP);
	if (srv->opt.tls)
		MHD_add_response_header(r, "Strict-Transport-Security", HSTS);
}

/* A short text answer (errors, refusals); extra is one more header, as
 * "Name: value", or NULL. */
static MHD_RESULT queue_text(const struct http_server *srv, struct MHD_Connection *conn,
			     unsigned status, const char *text, const char *header,
			     const char *value)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	add_security_headers(r, srv, NULL);
	if (header)
		MHD_add_response_header(r, header, value);
	MHD_RESULT rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* Whether the connection's client presented a certificate that GnuTLS
 * verified against the client CA. */
static int client_verified(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!info || !info->tls_session)
		return 0;
	gnutls_session_t session = (gnutls_session_t)info->tls_session;
	unsigned n = 0;
	if (!gnutls_certificate_get_peers(session, &n) || n == 0)
		return 0;
	unsigned status = 0;
	return gnutls_certificate_verify_peers2(session, &status) == GNUTLS_E_SUCCESS && status == 0;
}

static int auth_exempt(const struct http_server *srv, const char *url)
{
	for (const char *const *p = srv->opt.auth_exempt; p && *p; p++)
		if (strcmp(*p, url) == 0)
			return 1;
	return 0;
}

/* A refusal before any route runs, or MHD_YES to go on (*refused 0). */
static MHD_RESULT refuse(struct http_server *srv, struct MHD_Connection *conn, const char *url,
			 int *refused)
{
	*refused = 1;
	if (srv->opt.tls && srv->opt.tls->client_ca && !client_verified(conn)) {
		atomic_fetch_add(&tls_refused, 1);
		return queue_text(srv, conn, MHD_HTTP_FORBIDDEN, "client certificate required\n",
				  NULL, NULL);
	}
	if (srv->opt.auth && !auth_exempt(srv, url) &&
	    !http_auth_check(srv->opt.auth, MHD_lookup_connection_value(
				     conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION)))
		return queue_text(srv, conn, MHD_HTTP_UNAUTHORIZED, "unauthorized\n",
				  MHD_HTTP_HEADER_WWW_AUTHENTICATE, REALM);
	*refused = 0;
	return MHD_YES;
}

/* Whether the request announces a body (a GET or HEAD has none). */
static int has_body(struct MHD_Connection *conn)
{
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_TRANSFER_ENCODING);
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	return te || (cl && strspn(cl, "0 \t") != strlen(cl));
}

static MHD_RESULT on_request(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload_data,
			     size_t *upload_size, void **req_cls)
{
	static int request_seen;
	struct http_server *srv = cls;
	(void)version;
	(void)upload_data;

	int head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
		*upload_size = 0;
		return queue_text(srv, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
				  MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	}
	/* the first call has the headers only: answer once the request is
	 * complete, or libmicrohttpd closes the connection after the reply */
	if (*req_cls == NULL) {
		*req_cls = &request_seen;
		if (has_body(conn)) /* refused before it is read; the connection closes */
			return queue_text(srv, conn, 413 /* Content Too Large */,
					  "a GET or HEAD request has no body\n", NULL, NULL);
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* a GET with a body: ignored */
		return MHD_YES;
	}
	const struct http_route *route = NULL;
	for (const struct http_route *r = srv->routes; r->path; r++)
		if (strcmp(r->path, url) == 0)
			route = r;
	int refused;
	MHD_RESULT rc = refuse(srv, conn, url, &refused);
	if (refused)
		return rc;
	if (!route)
		return queue_text(srv, conn, MHD_HTTP_NOT_FOUND, "not found\n", NULL, NULL);

	struct http_request req = {
		.path = url,
		.head = head,
		.accepts_gzip = gzip_accepted(MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING)),
		.conn = conn,
	};
	struct http_response resp = { .status = 200 };
	buf_init(&resp.body, (size_t)1 << 30);
	if (route->handler(srv->ctx, &req, &resp) < 0) {
		buf_release(&resp.body);
		return queue_text(srv, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n",
				  NULL, NULL);
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
	add_security_headers(r, srv, resp.csp);
	if (resp.cache_control)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, resp.cache_control);
	if (resp.gzip)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (strcmp(url, "/metrics") == 0)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	rc = MHD_queue_response(conn, resp.status ? resp.status : 200, r);
	MHD_destroy_response(r);
	return rc;
}

const char *http_arg(const struct http_request *req, const char *name)
{
	if (!req->conn) {
		for (const char *const *a = req->args; a && a[0] && a[1]; a += 2)
			if (strcmp(a[0], name) == 0)
				return a[1];
		return NULL;
	}
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Resolves host:port into a socket address for binding; an empty host
 * means every interface, IPv6 and IPv4 where the system has IPv6. */
static int resolve(const struct http_options *opt, struct sockaddr_storage *ss, int *dual,
		   char *err, size_t errlen)
{
	*dual = 0;
	memset(ss, 0, sizeof(*ss));
	if (!opt->host[0]) {
		int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0) {
			close(probe);
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
			in6->sin6_family = AF_INET6;
			in6->sin6_addr = in6addr_any;
			in6->sin6_port = htons((uint16_t)opt->port);
			*dual = 1;
		} else {
			struct sockaddr_in *in = (struct sockaddr_in *)ss;
			in->sin_family = AF_INET;
			in->sin_addr.s_addr = htonl(INADDR_ANY);
			in->sin_port = htons((uint16_t)opt->port);
		}
		return 0;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%u", opt->port);
	int rc = getaddrinfo(opt->host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", opt->host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* Starts a daemon on either an address or an already listening socket. */
static struct http_server *start_daemon(const struct http_options *opt,
					const struct http_route *routes, void *ctx,
					const struct sockaddr_storage *ss, int dual, int listen_fd)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	srv->routes = routes;
	srv->ctx = ctx;
	srv->opt = *opt;
	srv->opt.host = NULL;
	atomic_init(&srv->starting, 1);
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	if (ss && ss->ss_family == AF_INET6)
		flags |= dual ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	struct MHD_OptionItem where[6];
	size_t n = 0;
	if (listen_fd >= 0)
		where[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL };
	else
		where[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, (void *)(uintptr_t)ss };
	if (opt->tls) {
		flags |= MHD_USE_TLS;
		where[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
						      (void *)(uintptr_t)opt->tls->cert };
		where[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
						      (void *)(uintptr_t)opt->tls->key };
		where[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
						      (void *)(uintptr_t)opt->tls->priorities };
		if (opt->tls->client_ca)
			where[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
							      (void *)(uintptr_t)opt->tls->client_ca };
	}
	where[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	srv->daemon = MHD_start_daemon(
		flags, (uint16_t)opt->port, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, srv,
		MHD_OPTION_ARRAY, where,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opt->threads ? opt->threads : 2),
		MHD_OPTION_CONNECTION_LIMIT, opt->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, opt->per_ip_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout_seconds,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, opt->memory_limit,
		MHD_OPTION_END);
	atomic_store(&srv->starting, 0);
	if (!srv->daemon)
		return srv; /* the caller reads last_error and frees */
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : opt->port;
	return srv;
}

struct http_server *http_start(const struct http_options *opt, const struct http_route *routes,
			       void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int dual;
	if (resolve(opt, &ss, &dual, err, errlen) < 0)
		return NULL;
	struct http_server *srv = start_daemon(opt, routes, ctx, &ss, dual, -1);
	if (!srv->daemon) {
		int v6 = strchr(opt->host, ':') != NULL;
		snprintf(err, errlen, "cannot listen on '%s%s%s:%u': %s", v6 ? "[" : "", opt->host,
			 v6 ? "]" : "", opt->port,
			 srv->last_error[0] ? srv->last_error : "libmicrohttpd failed to start");
		free(srv);
		return NULL;
	}
	return srv;
}

/* Stops a daemon that no longer accepts, after its requests in flight had
 * a moment to finish. */
static void retire(struct http_server *old)
{
	for (int i = 0; i < 20; i++) {
		const union MHD_DaemonInfo *info =
			MHD_get_daemon_info(old->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!info || info->num_connections == 0)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	http_stop(old);
}

struct http_server *http_rebind(struct http_server *old, const struct http_options *opt,
				char *err, size_t errlen)
{
	MHD_socket fd = MHD_quiesce_daemon(old->daemon);
	if (fd == MHD_INVALID_SOCKET) {
		snprintf(err, errlen, "cannot take over the listening socket");
		return old;
	}
	struct http_server *srv = start_daemon(opt, old->routes, old->ctx, NULL, 0, fd);
	if (!srv->daemon) {
		snprintf(err, errlen, "cannot serve with the new settings: %s",
			 srv->last_error[0] ? srv->last_error : "libmicrohttpd failed to start");
		free(srv);
		/* the old settings on the same socket, as before */
		srv = start_daemon(&old->opt, old->routes, old->ctx, NULL, 0, fd);
		if (!srv->daemon) {
			free(srv);
			close(fd);
			retire(old);
			return NULL;
		}
		retire(old);
		return srv;
	}
	err[0] = '\0';
	retire(old);
	return srv;
}

int http_tls_supported(void)
{
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

unsigned long long http_tls_refused(void)
{
	return atomic_load(&tls_refused);
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
