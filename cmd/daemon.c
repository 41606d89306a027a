/*
 * daemon.c -- the agent as a whole: [agent] settings, start-up, the HTTP
 * routes, SIGHUP reload and shutdown.
 *
 * The main thread loads the config, starts the store, the workers and the
 * HTTP server, then waits for signals; it alone changes the running
 * config.  HTTP threads answer scrapes from the store's entries plus the
 * agent's own figures; they read the reload state through atomics only.
 */
#include "autoconfig.h"
#include "daemon.h"
#include "alerting.h"
#include "api.h"
#include "buf.h"
#include "collector.h"
#include "dbview.h"
#include "exposition.h"
#include "http.h"
#include "http_auth.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "page_assets.h"
#include "process.h"
#include "scheduler.h"
#include "store.h"
#include "strutil.h"
#include "template.h"
#include "version.h"
#include "xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "banned.h"

#define SHUTDOWN_WAIT_MS 1500

static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };
static const char *const log_formats[] = { "logfmt", "json", NULL };
static const char *const tls_versions[] = { "1.2", "1.3", NULL };

#define AGENT_KEY(k) offsetof(struct agent_config, k)

static const struct config_key agent_keys[] = {
	{ .name = "listen", .type = CONF_ADDRESS, .offset = AGENT_KEY(listen),
	  .def = "127.0.0.1:9930" },
	{ .name = "state_dir", .type = CONF_STRING, .offset = AGENT_KEY(state_dir),
	  .def = "/var/lib/dbpulse" },
	{ .name = "external_url", .type = CONF_STRING, .offset = AGENT_KEY(external_url) },
	{ .name = "log_level", .type = CONF_ENUM, .offset = AGENT_KEY(log_level), .def = "info",
	  .choices = log_levels },
	{ .name = "log_format", .type = CONF_ENUM, .offset = AGENT_KEY(log_format), .def = "logfmt",
	  .choices = log_formats },
	{ .name = "http_max_connections", .type = CONF_INT, .offset = AGENT_KEY(http_max_connections),
	  .def = "64", .min = 1, .max = 10000 },
	{ .name = "http_per_ip_connections", .type = CONF_INT,
	  .offset = AGENT_KEY(http_per_ip_connections), .def = "16",
	  .min = 1, .max = 10000 },
	{ .name = "http_timeout", .type = CONF_DURATION, .offset = AGENT_KEY(http_timeout_ms),
	  .def = "10s", .min = 1000, .max = 3600000 },
	{ .name = "http_memory_limit", .type = CONF_SIZE, .offset = AGENT_KEY(http_memory_limit),
	  .def = "64KiB" },
	{ .name = "tls_cert_file", .type = CONF_STRING, .offset = AGENT_KEY(tls_cert_file) },
	{ .name = "tls_key_file", .type = CONF_STRING, .offset = AGENT_KEY(tls_key_file) },
	{ .name = "tls_min_version", .type = CONF_ENUM, .offset = AGENT_KEY(tls_min_version),
	  .def = "1.2", .choices = tls_versions },
	{ .name = "tls_client_ca_file", .type = CONF_STRING, .offset = AGENT_KEY(tls_client_ca_file) },
	{ .name = "basic_auth_users_file", .type = CONF_STRING,
	  .offset = AGENT_KEY(basic_auth_users_file) },
	{ .name = "basic_auth_exempt", .type = CONF_LIST, .offset = AGENT_KEY(basic_auth_exempt),
	  .def = "/healthz" },
	{ .name = NULL },
};

static int agent_validate(void *conf, char *err, size_t errlen)
{
	struct agent_config *a = conf;
	if (a->external_url && strncmp(a->external_url, "http://", 7) != 0 &&
	    strncmp(a->external_url, "https://", 8) != 0) {
		snprintf(err, errlen, "external_url: expected an http:// or https:// URL");
		return -1;
	}
	if (a->http_memory_limit < 4096 || a->http_memory_limit > (64u << 20)) {
		snprintf(err, errlen, "http_memory_limit: expected a size from 4KiB to 64MiB");
		return -1;
	}
	if (!a->tls_cert_file != !a->tls_key_file) {
		snprintf(err, errlen, "%s: needs %s as well", a->tls_cert_file ? "tls_cert_file" :
			 "tls_key_file", a->tls_cert_file ? "tls_key_file" : "tls_cert_file");
		return -1;
	}
	if (a->tls_client_ca_file && !a->tls_cert_file) {
		snprintf(err, errlen, "tls_client_ca_file: needs tls_cert_file and tls_key_file");
		return -1;
	}
	for (size_t i = 0; i < a->basic_auth_exempt.n; i++)
		if (a->basic_auth_exempt.items[i][0] != '/') {
			snprintf(err, errlen, "basic_auth_exempt: expected paths like /healthz, got '%s'",
				 a->basic_auth_exempt.items[i]);
			return -1;
		}
	return 0;
}

/* The files the keys name: readable, safe and what they should be. */
static int agent_check_files(const struct config *cfg, const struct config_section *s,
			     char *err, size_t errlen)
{
	const struct agent_config *a = s->conf;
	if (listener_check(a, err, errlen) < 0)
		return -1;
	return alerting_check_state_dir(cfg, a->state_dir, err, errlen);
}

static void agent_describe(const struct config_section *s, struct buf *out)
{
	const struct agent_config *a = s->conf;
	buf_printf(out, "[agent] listen %s://%s%s%s:%u%s, state_dir %s, log %s/%s",
		   a->tls_cert_file ? "https" : "http", strchr(a->listen.host, ':') ? "[" : "",
		   a->listen.host, strchr(a->listen.host, ':') ? "]" : "", a->listen.port,
		   a->basic_auth_users_file ? " (basic auth)" : "", a->state_dir,
		   log_levels[a->log_level], log_formats[a->log_format]);
}

const struct config_kind agent_kind = {
	.name = "agent",
	.implicit = 1,
	.keys = agent_keys,
	.conf_size = sizeof(struct agent_config),
	.validate = agent_validate,
	.describe = agent_describe,
	.check_config = agent_check_files,
};

/* ---- the running agent --------------------------------------------------- */

struct daemon {
	struct config *cfg;           /* main thread */
	struct store *store;
	struct scheduler *sched;
	struct http_server *http;
	struct listener *listen;      /* what http serves with (main thread) */
	pthread_mutex_t cache_lock;
	struct expo_merged *cache;    /* the last merge, until a target publishes */
	atomic_ullong scrapes;
	atomic_int reload_ok;
	_Atomic double reload_time;
	double start_time;            /* process_start_time(), read once */
	struct alerting *alerting;    /* rules, outbox and senders */
};

static const struct metric_desc m_build = {
	"dbpulse_build_info",
	"A metric with a constant '1' value labelled by the agent's version and git revision.",
	METRIC_GAUGE };
static const struct metric_desc m_scrapes = {
	"dbpulse_scrapes_total", "Scrapes of /metrics answered.", METRIC_COUNTER };
static const struct metric_desc m_auth_failures = {
	"dbpulse_http_auth_failures_total",
	"Requests refused for missing or wrong basic-auth credentials.", METRIC_COUNTER };
static const struct metric_desc m_tls_refused = {
	"dbpulse_http_client_certificate_refused_total",
	"Requests refused because the client presented no verified certificate.", METRIC_COUNTER };
static const struct metric_desc m_reload_ok = {
	"dbpulse_config_last_reload_successful",
	"Whether the last configuration load or reload succeeded (1) or not (0).", METRIC_GAUGE };
static const struct metric_desc m_reload_ts = {
	"dbpulse_config_last_reload_success_timestamp_seconds",
	"When the configuration was last loaded successfully, in seconds since the epoch.",
	METRIC_GAUGE };

static void agent_metrics(struct daemon *d, struct batch *b)
{
	struct process_stats ps;
	batch_add(b, &m_build, 1, "version", PACKAGE_VERSION, "revision", dbpulse_revision, NULL);
	batch_add(b, &m_scrapes, (double)atomic_load(&d->scrapes), NULL);
	batch_add(b, &m_auth_failures, (double)http_auth_failures(), NULL);
	batch_add(b, &m_tls_refused, (double)http_tls_refused(), NULL);
	batch_add(b, &m_reload_ok, atomic_load(&d->reload_ok), NULL);
	batch_add(b, &m_reload_ts, atomic_load(&d->reload_time), NULL);
	if (process_read(&ps) == 0) {
		ps.start_time = d->start_time;
		process_add_metrics(b, &ps);
	}
	if (d->alerting)
		alerting_metrics(d->alerting, b);
}

/* Merges what the store's entries hold now. */
static struct expo_merged *merge_store(struct store *store)
{
	struct store_snapshot snap;
	store_snapshot(store, &snap);
	struct expo_block **blocks = xmalloc((snap.n + 1) * sizeof(struct expo_block *));
	size_t n = 0;
	for (size_t i = 0; i < snap.n; i++)
		if (snap.entries[i]->metrics)
			blocks[n++] = snap.entries[i]->metrics;
	struct expo_merged *m = expo_merged_new(blocks, n, snap.generation);
	free(blocks);
	store_snapshot_release(&snap);
	return m;
}

/* The merged exposition of the targets: the cached one while no target
 * has published since it was made, else a new one that becomes the cache
 * unless a target published meanwhile (drop_stale_merge).  Two scrapes
 * that miss at once both merge; the newer result stays. */
static struct expo_merged *current_merged(struct daemon *d)
{
	uint64_t gen = store_generation(d->store);
	struct expo_merged *m = NULL, *old = NULL;
	pthread_mutex_lock(&d->cache_lock);
	if (d->cache && d->cache->generation == gen)
		m = expo_merged_ref(d->cache);
	pthread_mutex_unlock(&d->cache_lock);
	if (m)
		return m;
	m = merge_store(d->store);
	pthread_mutex_lock(&d->cache_lock);
	if ((!d->cache || d->cache->generation < m->generation) &&
	    m->generation == store_generation(d->store)) { /* else one was published meanwhile */
		old = d->cache;
		d->cache = expo_merged_ref(m);
	}
	pthread_mutex_unlock(&d->cache_lock);
	expo_merged_unref(old);
	return m;
}

/* A target published: the cached layout is out of date.  It goes now, and
 * with it the blocks it holds that the store no longer does, rather than
 * at the next scrape, which may be long in coming. */
static void drop_stale_merge(void *ctx)
{
	struct daemon *d = ctx;
	pthread_mutex_lock(&d->cache_lock);
	struct expo_merged *old = d->cache;
	d->cache = NULL;
	pthread_mutex_unlock(&d->cache_lock);
	expo_merged_unref(old);
}

static int route_metrics(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct daemon *d = ctx;
	atomic_fetch_add(&d->scrapes, 1);
	struct batch *b = batch_new();
	agent_metrics(d, b);
	struct expo_block *own = expo_render(b);
	batch_free(b);
	struct expo_merged *m = current_merged(d);
	int rc = expo_respond(m, own, req->accepts_gzip, &resp->body);
	expo_merged_unref(m);
	expo_block_unref(own);
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->gzip = req->accepts_gzip;
	return rc;
}

static int route_healthz(void *ctx, const struct http_request *req, struct http_response *resp)
{
	(void)ctx;
	(void)req;
	resp->cache_control = "no-store";
	return buf_puts(&resp->body, "ok\n");
}

static int route_index(void *ctx, const struct http_request *req, struct http_response *resp)
{
	(void)ctx;
	(void)req;
	resp->content_type = "text/html; charset=utf-8";
	return buf_puts(&resp->body,
			"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>dbpulse</title></head>\n"
			"<body><h1>dbpulse " PACKAGE_VERSION "</h1>\n<ul>\n"
			"<li><a href=\"/metrics\">/metrics</a> &mdash; Prometheus metrics</li>\n"
			"<li><a href=\"/healthz\">/healthz</a> &mdash; liveness</li>\n"
			"<li><a href=\"/queries\">/queries</a> &mdash; slow queries and sessions now (the DBA's page)</li>\n"
			"<li><a href=\"/api/alerts\">/api/alerts</a> &mdash; pending and firing alerts (JSON)</li>\n"
			"<li><a href=\"/api/targets\">/api/targets</a> &mdash; the targets and their state (JSON)</li>\n"
			"<li>/api/queries?target=NAME&amp;window=5m&amp;sort=total &mdash; a PostgreSQL target's statements (JSON)</li>\n"
			"<li>/api/activity?target=NAME &mdash; its sessions now (JSON)</li>\n"
			"<li>/api/advice?target=NAME&amp;severity=critical &mdash; its optimization advisor's findings (JSON)</li>\n"
			"<li>/api/timescaledb?target=NAME &mdash; its TimescaleDB jobs and their recent errors (JSON)</li>\n"
			"<li>/api/slowlog?target=NAME &mdash; a Redis target's slow log (JSON)</li>\n"
			"<li>/api/pools?target=NAME &mdash; a PgBouncer target's pools (JSON)</li>\n"
			"</ul></body></html>\n");
}

static int route_api_targets(void *ctx, const struct http_request *req, struct http_response *resp)
{
	return api_targets(((struct daemon *)ctx)->store, req, resp);
}

static int route_api_queries(void *ctx, const struct http_request *req, struct http_response *resp)
{
	return api_queries(((struct daemon *)ctx)->store, req, resp);
}

static int route_api_activity(void *ctx, const struct http_request *req, struct http_response *resp)
{
	return api_activity(((struct daemon *)ctx)->store, req, resp);
}

static int route_api_advice(void *ctx, const struct http_request *req, struct http_response *resp)
{
	return api_advice(((struct daemon *)ctx)->store, req, resp);
}

static int route_api_timescaledb(void *ctx, const struct http_request *req, struct http_response *resp)
{
	return api_timescaledb(((struct daemon *)ctx)->store, req, resp);
}

static int route_api_slowlog(void *ctx, const struct http_request *req, struct http_response *resp)
{
	return api_slowlog(((struct daemon *)ctx)->store, req, resp);
}

static int route_api_pools(void *ctx, const struct http_request *req, struct http_response *resp)
{
	return api_pools(((struct daemon *)ctx)->store, req, resp);
}

/* /queries and its script and style sheet, compiled into the binary. */
static int route_page(void *ctx, const struct http_request *req, struct http_response *resp)
{
	(void)ctx;
	const struct page_asset *a = page_asset_find(req->path);
	if (!a)
		return -1;
	resp->content_type = a->content_type;
	resp->cache_control = "no-store";
	resp->csp = PAGE_CSP;
	return buf_append(&resp->body, a->data, a->size);
}

static int route_api_alerts(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct daemon *d = ctx;
	(void)req;
	resp->content_type = "application/json";
	resp->cache_control = "no-store";
	return alerting_json(d->alerting, &resp->body);
}

static const struct http_route routes[] = {
	{ "/metrics", route_metrics },
	{ "/api/alerts", route_api_alerts },
	{ "/api/targets", route_api_targets },
	{ "/api/queries", route_api_queries },
	{ "/api/activity", route_api_activity },
	{ "/api/advice", route_api_advice },
	{ "/api/timescaledb", route_api_timescaledb },
	{ "/api/slowlog", route_api_slowlog },
	{ "/api/pools", route_api_pools },
	{ "/queries", route_page },
	{ "/queries.js", route_page },
	{ "/queries.css", route_page },
	{ "/pools.js", route_page },
	{ "/healthz", route_healthz },
	{ "/", route_index },
	{ NULL, NULL },
};

static struct http_server *start_http(struct daemon *d, const struct listener *l)
{
	struct http_options opt = listener_options(l);
	char err[512];
	struct http_server *srv = http_start(&opt, routes, d, err, sizeof(err));
	if (!srv) {
		log_error("http", NULL, "%s", err);
		return NULL;
	}
	log_info("http", NULL, "listening on %s://%s/", listener_scheme(l),
		 listener_address_port(l, http_port(srv)));
	if (opt.auth)
		log_info("http", NULL, "basic authentication required (%zu users)",
			 http_auth_users(opt.auth));
	if (opt.tls && opt.tls->client_ca)
		log_info("http", NULL, "client certificates required");
	return srv;
}

static void apply_logging(const struct config *cfg)
{
	const struct agent_config *a = config_get(cfg, "agent");
	log_configure((enum log_level)a->log_level, (enum log_format)a->log_format);
}

/* Logs every line of a config error buffer. */
static void log_config_errors(const struct buf *errors)
{
	struct buf copy = BUF_INIT(BUF_UNLIMITED);
	buf_append(&copy, buf_str(errors), errors->len);
	size_t pos = 0;
	char *line;
	while ((line = next_line(copy.data, copy.len, &pos)) != NULL)
		if (*line)
			log_error("config", NULL, "%s", line);
	buf_release(&copy);
}

/* Moves the HTTP endpoint to new settings (d->listen becomes l, which the
 * daemon then owns).  The same address keeps its listening socket (the
 * port never closes); a new address is bound before the old one is let
 * go.  Returns -1, with the old settings serving and l freed, when the
 * new ones cannot be used. */
static int switch_http(struct daemon *d, struct listener *l)
{
	struct http_server *srv;
	if (d->http && listener_same_address(d->listen, l)) {
		struct http_options opt = listener_options(l);
		char err[512];
		srv = http_rebind(d->http, &opt, err, sizeof(err));
		if (!srv) {
			log_error("http", NULL, "%s; trying the address again", err);
			d->http = start_http(d, d->listen);
			listener_free(l);
			return -1;
		}
		if (err[0]) { /* old itself, still serving */
			log_error("http", NULL, "%s", err);
			listener_free(l);
			return -1;
		}
	} else {
		srv = start_http(d, l);
		if (!srv) {
			listener_free(l);
			return -1;
		}
		http_stop(d->http);
	}
	d->http = srv;
	listener_free(d->listen);
	d->listen = l;
	return 0;
}

/* Reads the new endpoint settings and moves to them if they differ. */
static int reload_http(struct daemon *d, const struct config *cfg)
{
	char err[1024];
	struct listener *l = listener_load(config_get(cfg, "agent"), err, sizeof(err));
	if (!l) {
		log_error("http", NULL, "%s", err);
		return -1;
	}
	if (d->http && listener_same(d->listen, l)) {
		listener_free(l);
		return 0;
	}
	log_info("http", NULL, "serving with the new settings of %s", listener_address(l));
	return switch_http(d, l);
}

static void reload(struct daemon *d)
{
	struct buf errors = BUF_INIT(1 << 20);
	log_info("config", NULL, "reloading '%s'", d->cfg->path);
	struct config *cfg = config_load(d->cfg->path, &errors);
	if (!cfg) {
		log_config_errors(&errors);
		log_error("config", NULL, "reload failed; the previous configuration keeps running");
		atomic_store(&d->reload_ok, 0);
		buf_release(&errors);
		return;
	}
	buf_release(&errors);
	if (reload_http(d, cfg) < 0) {
		log_error("config", NULL, "reload failed; the previous configuration keeps running");
		atomic_store(&d->reload_ok, 0);
		config_unref(cfg);
		return;
	}
	char err[1024];
	const struct agent_config *ac = config_get(cfg, "agent");
	if (alerting_reload(d->alerting, cfg, ac->state_dir, err, sizeof(err)) < 0) {
		log_error("config", NULL, "%s", err);
		log_error("config", NULL, "reload failed; the previous configuration keeps running");
		atomic_store(&d->reload_ok, 0);
		config_unref(cfg);
		return;
	}
	apply_logging(cfg);
	scheduler_apply(d->sched, cfg);
	config_unref(d->cfg);
	d->cfg = cfg;
	atomic_store(&d->reload_ok, 1);
	atomic_store(&d->reload_time, now_wall());
	log_info("config", NULL, "configuration reloaded: %u targets", scheduler_count(d->sched));
}

/* The agent's URL for links in notifications: external_url, else the
 * listener's address (this host's name for a wildcard address). */
static char *external_url(const struct agent_config *a, const char *scheme, unsigned port)
{
	if (a->external_url) {
		size_t n = strlen(a->external_url);
		return xasprintf("%s%s", a->external_url, n && a->external_url[n - 1] == '/' ? "" : "/");
	}
	char host[256] = "localhost";
	const char *h = a->listen.host;
	if (!h[0] || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0) {
		if (gethostname(host, sizeof(host) - 1) < 0)
			snprintf(host, sizeof(host), "localhost");
		h = host;
	}
	int v6 = strchr(h, ':') != NULL;
	return xasprintf("%s://%s%s%s:%u/", scheme, v6 ? "[" : "", h, v6 ? "]" : "", port);
}

/* A start that failed before the scheduler ran: frees what was set up
 * (the HTTP server already stopped) and returns the exit status, 1. */
static int start_failed(struct daemon *d, struct config *cfg)
{
	listener_free(d->listen);
	store_free(d->store);
	pthread_mutex_destroy(&d->cache_lock);
	config_unref(cfg);
	free(d);
	return 1;
}

int daemon_run(const char *config_path)
{
	struct config *cfg = daemon_load_checked(config_path);
	if (!cfg)
		return 1;
	apply_logging(cfg);

	/* every thread inherits this mask; only the main thread takes signals */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct daemon *d = xcalloc(1, sizeof(*d));
	d->cfg = cfg;
	d->store = store_new();
	pthread_mutex_init(&d->cache_lock, NULL);
	store_on_change(d->store, drop_stale_merge, d);
	d->start_time = process_start_time();
	atomic_store(&d->reload_ok, 1);
	atomic_store(&d->reload_time, now_wall());
	char err[1024];
	d->listen = listener_load(config_get(cfg, "agent"), err, sizeof(err));
	d->http = d->listen ? start_http(d, d->listen) : NULL;
	if (!d->http) {
		if (!d->listen)
			log_error("http", NULL, "%s", err);
		return start_failed(d, cfg);
	}
	const struct agent_config *ac = config_get(cfg, "agent");
	char *url = external_url(ac, listener_scheme(d->listen), http_port(d->http));
	struct template_env templates = { .query_text = db_view_query_text, .ctx = d->store };
	d->alerting = alerting_start(cfg, ac->state_dir, url, &templates, err, sizeof(err));
	free(url);
	if (!d->alerting) {
		log_error("alerts", NULL, "%s", err);
		http_stop(d->http);
		return start_failed(d, cfg);
	}
	d->sched = scheduler_new(d->store);
	scheduler_set_observer(d->sched, alerting_observe, d->alerting);
	scheduler_apply(d->sched, cfg);
	log_info("agent", NULL, "dbpulse %s%s%s started with '%s': %u targets", PACKAGE_VERSION,
		 dbpulse_revision[0] ? " git " : "", dbpulse_revision, cfg->path,
		 scheduler_count(d->sched));

	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			log_error("agent", NULL, "cannot wait for signals: %s", strerror(errno));
			break;
		}
		if (sig == SIGHUP) {
			reload(d);
			continue;
		}
		log_info("agent", NULL, "stopping on %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}

	int clean = scheduler_stop(d->sched, SHUTDOWN_WAIT_MS) == 0;
	http_stop(d->http);
	listener_free(d->listen);
	if (clean) {
		scheduler_free(d->sched);
		alerting_stop(d->alerting);
		expo_merged_unref(d->cache);
		pthread_mutex_destroy(&d->cache_lock);
		store_free(d->store);
		config_unref(d->cfg);
		free(d);
	} else {
		log_warn("agent", NULL, "a collection is still running; exiting without waiting for it");
	}
	log_info("agent", NULL, "stopped");
	return 0;
}

int daemon_once(const char *config_path)
{
	struct config *cfg = daemon_load_checked(config_path);
	if (!cfg)
		return 1;
	apply_logging(cfg);
	struct store *store = store_new();
	int failed = scheduler_run_once(cfg, store);
	struct batch *b = batch_new();
	batch_add(b, &m_build, 1, "version", PACKAGE_VERSION, "revision", dbpulse_revision, NULL);
	struct expo_block *own = expo_render(b);
	batch_free(b);
	struct buf out = BUF_INIT((size_t)1 << 30);
	struct expo_merged *m = merge_store(store);
	int rc = expo_respond(m, own, 0, &out);
	expo_merged_unref(m);
	expo_block_unref(own);
	fwrite(buf_str(&out), 1, out.len, stdout);
	fflush(stdout);
	buf_release(&out);
	store_free(store);
	config_unref(cfg);
	return rc < 0 || failed ? 1 : 0;
}

struct config *daemon_load_checked(const char *config_path)
{
	struct buf errors = BUF_INIT(1 << 20);
	struct config *cfg = config_load(config_path, &errors);
	if (!cfg) {
		size_t n = 0;   /* lines, but not the caret lines under an expression */
		for (size_t i = 0; i < errors.len; i++)
			n += (i == 0 || errors.data[i - 1] == '\n') && errors.data[i] != ' ';
		fputs(buf_str(&errors), stderr);
		fprintf(stderr, "%s: %zu error%s; the configuration is not valid\n", config_path, n,
			n == 1 ? "" : "s");
	}
	buf_release(&errors);
	return cfg;
}

int daemon_check_config(const char *config_path)
{
	struct config *cfg = daemon_load_checked(config_path);
	if (!cfg)
		return 1;
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	unsigned targets = 0;
	buf_printf(&out, "%s: configuration is valid\n", cfg->path);
	for (size_t i = 0; i < cfg->nsections; i++) {
		const struct config_section *s = &cfg->sections[i];
		buf_puts(&out, "  ");
		if (s->kind->describe)
			s->kind->describe(s, &out);
		else
			buf_puts(&out, s->label);
		if (s->kind->collector) {
			const struct target_common *c = s->conf;
			if (!c->enabled)
				buf_puts(&out, " (disabled)");
			else
				targets++;
		}
		buf_putc(&out, '\n');
	}
	buf_printf(&out, "%u target%s enabled\n", targets, targets == 1 ? "" : "s");
	fputs(buf_str(&out), stdout);
	buf_release(&out);
	config_unref(cfg);
	return 0;
}

int daemon_test_webhook(const char *config_path, const char *name)
{
	struct config *cfg = daemon_load_checked(config_path);
	if (!cfg)
		return 1;
	apply_logging(cfg);
	const struct agent_config *a = config_get(cfg, "agent");
	char *url = external_url(a, a->tls_cert_file ? "https" : "http", a->listen.port);
	struct buf report = BUF_INIT(1 << 16);
	int rc = alerting_test_webhook(cfg, name, url, &report);
	fputs(buf_str(&report), rc == 0 ? stdout : stderr);
	buf_release(&report);
	free(url);
	config_unref(cfg);
	return rc == 0 ? 0 : 1;
}
