/*
 * daemon.h -- the agent as a whole: its [agent] settings, and the three
 * ways main() runs it (daemon, --once, --check-config).
 */
#ifndef DBPULSE_DAEMON_H
#define DBPULSE_DAEMON_H

#include <stdint.h>

#include "config.h"

#define DBPULSE_DEFAULT_CONFIG "/etc/dbpulse/agent.ini"

struct agent_config {
	struct conf_address listen;
	char *state_dir;
	char *external_url;            /* NULL: http://HOST:PORT/ of the listener */
	int log_level;                 /* enum log_level */
	int log_format;                /* enum log_format */
	int64_t http_max_connections;
	int64_t http_per_ip_connections;
	int64_t http_timeout_ms;
	uint64_t http_memory_limit;
	char *tls_cert_file;
	char *tls_key_file;
	int tls_min_version;           /* index of "1.2", "1.3" */
	char *tls_client_ca_file;
	char *basic_auth_users_file;
	struct conf_list basic_auth_exempt;
};

extern const struct config_kind agent_kind;

/* --test-webhook NAME: sends a test notification, prints the answer.
 * Returns the exit code. */
int daemon_test_webhook(const char *config_path, const char *name);
/* Runs in the foreground until SIGTERM or SIGINT; SIGHUP reloads.
 * Returns the process exit code. */
int daemon_run(const char *config_path);
/* Collects every enabled target once and prints the exposition to stdout;
 * non-zero if the config is bad or a target failed. */
int daemon_once(const char *config_path);
/* Prints a summary of the config (exit 0) or every error (exit 1). */
int daemon_check_config(const char *config_path);
/* Loads the config, or prints every error and their count to stderr as
 * --check-config does and returns NULL (dbpulse rules uses it too). */
struct config *daemon_load_checked(const char *config_path);

#endif
