/*
 * listener.c -- the HTTP endpoint's settings, files read and checked (see
 * listener.h).
 *
 * Certificates and keys are checked with GnuTLS before libmicrohttpd sees
 * them, so a wrong file gives a message that names it rather than a
 * daemon that does not start.  The key and the users file are secrets:
 * secret_file_read() refuses them when others may read them.
 */
#include "autoconfig.h"
#include "listener.h"
#include "buf.h"
#include "daemon.h"
#include "http_auth.h"
#include "secret.h"
#include "strutil.h"
#include "xalloc.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

#define PEM_MAX (1u << 20)    /* a certificate chain of any sensible size */

/* GnuTLS priority strings for tls_min_version (the enum's order). */
static const char *const tls_priorities[] = {
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	"NORMAL:-VERS-ALL:+VERS-TLS1.3",
};

struct listener {
	struct http_options opt;
	char *host;
	char *address;
	struct http_tls tls;
	char *cert, *key, *client_ca;  /* PEM, NULL when not used */
	struct http_auth *auth;
	char *users;                   /* the users file's text, to compare */
	char **exempt;                 /* NULL-terminated */
};

void listener_free(struct listener *l)
{
	if (!l)
		return;
	free(l->host);
	free(l->address);
	free(l->cert);
	if (l->key) {
		explicit_bzero(l->key, strlen(l->key));
		free(l->key);
	}
	free(l->client_ca);
	http_auth_free(l->auth);
	if (l->users) {
		explicit_bzero(l->users, strlen(l->users));
		free(l->users);
	}
	for (char **p = l->exempt; p && *p; p++)
		free(*p);
	free(l->exempt);
	free(l);
}

/* The whole of a PEM file; secret ones are checked for their permissions. */
static char *read_pem(const char *path, const char *key, int secret, char *err, size_t errlen)
{
	struct buf b = BUF_INIT(PEM_MAX);
	int rc;
	if (secret) {
		rc = secret_file_read(path, key, &b, err, errlen);
	} else {
		rc = read_file(path, &b);
		if (rc < 0)
			snprintf(err, errlen, "cannot read %s '%s': %s", key, path, strerror(errno));
	}
	char *text = rc == 0 ? xstrndup(buf_str(&b), b.len) : NULL;
	if (b.data)
		explicit_bzero(b.data, b.len);
	buf_release(&b);
	return text;
}

/* Whether GnuTLS takes the certificate with its key, and the CA. */
static int check_tls(const struct listener *l, const struct agent_config *a, char *err,
		     size_t errlen)
{
	gnutls_certificate_credentials_t cred;
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		snprintf(err, errlen, "cannot set up TLS");
		return -1;
	}
	gnutls_datum_t cert = { (unsigned char *)l->cert, (unsigned)strlen(l->cert) };
	gnutls_datum_t key = { (unsigned char *)l->key, (unsigned)strlen(l->key) };
	int rc = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		snprintf(err, errlen, "tls_cert_file '%s' with tls_key_file '%s': %s", a->tls_cert_file,
			 a->tls_key_file, gnutls_strerror(rc));
	} else if (l->client_ca) {
		gnutls_datum_t ca = { (unsigned char *)l->client_ca, (unsigned)strlen(l->client_ca) };
		int n = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (n <= 0) {
			snprintf(err, errlen, "tls_client_ca_file '%s': %s", a->tls_client_ca_file,
				 n < 0 ? gnutls_strerror(n) : "no certificate in it");
			rc = -1;
		}
	}
	gnutls_certificate_free_credentials(cred);
	return rc < 0 ? -1 : 0;
}

static int load_tls(struct listener *l, const struct agent_config *a, char *err, size_t errlen)
{
	if (!http_tls_supported()) {
		snprintf(err, errlen, "tls_cert_file: this libmicrohttpd was built without TLS");
		return -1;
	}
	l->cert = read_pem(a->tls_cert_file, "tls_cert_file", 0, err, errlen);
	if (!l->cert)
		return -1;
	l->key = read_pem(a->tls_key_file, "tls_key_file", 1, err, errlen);
	if (!l->key)
		return -1;
	if (a->tls_client_ca_file) {
		l->client_ca = read_pem(a->tls_client_ca_file, "tls_client_ca_file", 0, err, errlen);
		if (!l->client_ca)
			return -1;
	}
	if (check_tls(l, a, err, errlen) < 0)
		return -1;
	l->tls = (struct http_tls){ .cert = l->cert, .key = l->key, .client_ca = l->client_ca,
				    .priorities = tls_priorities[a->tls_min_version] };
	l->opt.tls = &l->tls;
	return 0;
}

static int load_auth(struct listener *l, const struct agent_config *a, char *err, size_t errlen)
{
	struct buf b = BUF_INIT(1u << 20);
	if (secret_file_read(a->basic_auth_users_file, "basic_auth_users_file", &b, err, errlen) <
	    0) {
		buf_release(&b);
		return -1;
	}
	l->users = xstrndup(buf_str(&b), b.len);
	l->auth = http_auth_parse(buf_str(&b), b.len, a->basic_auth_users_file, err, errlen);
	if (b.data)
		explicit_bzero(b.data, b.len);
	buf_release(&b);
	if (!l->auth)
		return -1;
	l->exempt = xcalloc(a->basic_auth_exempt.n + 1, sizeof(*l->exempt));
	for (size_t i = 0; i < a->basic_auth_exempt.n; i++)
		l->exempt[i] = xstrdup(a->basic_auth_exempt.items[i]);
	l->opt.auth = l->auth;
	l->opt.auth_exempt = (const char *const *)l->exempt;
	return 0;
}

struct listener *listener_load(const struct agent_config *a, char *err, size_t errlen)
{
	struct listener *l = xcalloc(1, sizeof(*l));
	l->host = xstrdup(a->listen.host);
	int v6 = strchr(a->listen.host, ':') != NULL;
	l->address = xasprintf("%s%s%s:%u", v6 ? "[" : "", a->listen.host, v6 ? "]" : "",
			       a->listen.port);
	l->opt = (struct http_options){
		.host = l->host,
		.port = a->listen.port,
		.max_connections = (unsigned)a->http_max_connections,
		.per_ip_connections = (unsigned)a->http_per_ip_connections,
		.timeout_seconds = (unsigned)((a->http_timeout_ms + 999) / 1000),
		.memory_limit = (size_t)a->http_memory_limit,
		.threads = 2,
	};
	/* a half-configured pair is agent_validate()'s error, not ours */
	if ((a->tls_cert_file && a->tls_key_file && load_tls(l, a, err, errlen) < 0) ||
	    (a->basic_auth_users_file && load_auth(l, a, err, errlen) < 0)) {
		listener_free(l);
		return NULL;
	}
	return l;
}

int listener_check(const struct agent_config *a, char *err, size_t errlen)
{
	struct listener *l = listener_load(a, err, errlen);
	listener_free(l);
	return l ? 0 : -1;
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_exempt(char *const *a, char *const *b)
{
	for (; a && b && *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return 0;
	return (!a || !*a) && (!b || !*b);
}

int listener_same_address(const struct listener *a, const struct listener *b)
{
	return a->opt.port == b->opt.port && strcmp(a->host, b->host) == 0;
}

int listener_same(const struct listener *a, const struct listener *b)
{
	return listener_same_address(a, b) && a->opt.max_connections == b->opt.max_connections &&
	       a->opt.per_ip_connections == b->opt.per_ip_connections &&
	       a->opt.timeout_seconds == b->opt.timeout_seconds &&
	       a->opt.memory_limit == b->opt.memory_limit && same_text(a->cert, b->cert) &&
	       same_text(a->key, b->key) && same_text(a->client_ca, b->client_ca) &&
	       same_text(a->tls.priorities, b->tls.priorities) && same_text(a->users, b->users) &&
	       same_exempt(a->exempt, b->exempt);
}

struct http_options listener_options(const struct listener *l)
{
	return l->opt;
}

const char *listener_scheme(const struct listener *l)
{
	return l->opt.tls ? "https" : "http";
}

const char *listener_address(const struct listener *l)
{
	return l->address;
}

const char *listener_address_port(const struct listener *l, unsigned port)
{
	static char text[300];
	int v6 = strchr(l->host, ':') != NULL;
	snprintf(text, sizeof(text), "%s%s%s:%u", v6 ? "[" : "", l->host[0] ? l->host : "0.0.0.0",
		 v6 ? "]" : "", port);
	return text;
}
