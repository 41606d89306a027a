/*
 * listener.h -- the HTTP endpoint's settings, as [agent] gives them:
 * address, limits, TLS certificates and the basic-auth users, with the
 * files read into memory.  Loaded at start and at every reload; a reload
 * moves the endpoint only when something differs (a certificate renewed
 * in place counts), and keeps the old settings serving when the new ones
 * cannot be used.
 */
#ifndef DBPULSE_LISTENER_H
#define DBPULSE_LISTENER_H

#include <stddef.h>

#include "http.h"

struct agent_config;
struct listener;

/* Reads what a's keys point to (certificate, key, CA, users file) and
 * checks it: NULL with the reason (naming the key and file) in err. */
struct listener *listener_load(const struct agent_config *a, char *err, size_t errlen);
void listener_free(struct listener *l);
/* Whether two loaded settings would serve the same way. */
int listener_same(const struct listener *a, const struct listener *b);
/* Whether they are on the same address (a move keeps the socket). */
int listener_same_address(const struct listener *a, const struct listener *b);
/* The options for http_start/http_rebind; they point into l. */
struct http_options listener_options(const struct listener *l);
/* "http" or "https". */
const char *listener_scheme(const struct listener *l);
/* host:port as written, for messages. */
const char *listener_address(const struct listener *l);
/* host:port with the port actually bound (static buffer: main thread). */
const char *listener_address_port(const struct listener *l, unsigned port);

/* For --check-config: the same checks as listener_load (0, or -1 with
 * err). */
int listener_check(const struct agent_config *a, char *err, size_t errlen);

#endif
