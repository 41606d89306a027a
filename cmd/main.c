/*
 * main.c -- the dbpulse command line: parses options and hands over to
 * daemon.c.  Everything else lives in libdbpulse.a, which the tests link.
 */
#include "autoconfig.h"
#include "daemon.h"
#include "http_auth.h"
#include "rules_export.h"
#include "strutil.h"
#include "top.h"
#include "version.h"

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: dbpulse [-c FILE] [--check-config | --once | --test-webhook NAME]\n"
		"       dbpulse top [--url URL] [--target NAME] [--window 5m] [--sort mean] ...\n"
		"       dbpulse hash-password [COST] < password\n"
		"       dbpulse rules [-c FILE] [--format prometheus]\n"
		"\n"
		"Monitors PostgreSQL, Redis and the host; serves Prometheus metrics.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"      --check-config  check the configuration, print what it would monitor, exit\n"
		"      --once          collect every enabled target once, print the metrics, exit\n"
		"                      (non-zero if a target failed)\n"
		"      --test-webhook NAME\n"
		"                      send a test notification to [webhook \"NAME\"], print\n"
		"                      the receiver's answer, exit (non-zero unless 2xx)\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          print this help and exit\n"
		"\n"
		"Signals: SIGHUP reloads the configuration (a bad one is logged and the\n"
		"running one kept); SIGTERM and SIGINT stop the agent.\n"
		"'dbpulse top --help' describes the terminal view of the slowest statements.\n"
		"'dbpulse advise --help' describes the optimization advisor's findings.\n"
		"'dbpulse hash-password' prints the bcrypt hash of a password read from\n"
		"standard input (cost 10 unless given), for basic_auth_users_file.\n"
		"'dbpulse rules' prints the [alert] rules as a Prometheus rule file.\n"
		"Endpoints: /metrics (Prometheus), /queries (the DBA's page), /api/targets,\n"
		"/api/queries, /api/activity, /api/advice, /api/slowlog, /api/pools, /api/alerts, /healthz, / (index).\n"
		"See dbpulse(8); dbpulse.ini(5) and doc/configuration.md describe the configuration.\n",
		DBPULSE_DEFAULT_CONFIG);
}

/* dbpulse hash-password [COST]: one line of standard input (not echoed
 * from a terminal) to its bcrypt hash. */
static int hash_password(int argc, char **argv)
{
	int64_t cost = 10;
	if (argc > 2 || (argc == 2 && (parse_int64(argv[1], &cost) < 0 || cost < 4 || cost > 31))) {
		fprintf(stderr, "Usage: dbpulse hash-password [COST 4..31] < password\n");
		return 2;
	}
	struct termios saved, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (tty) {
		fputs("Password: ", stderr);
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char password[1024], hash[128];
	int got = fgets(password, sizeof(password), stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputc('\n', stderr);
	}
	password[got ? strcspn(password, "\r\n") : 0] = '\0';
	if (!password[0]) {
		fprintf(stderr, "dbpulse: no password on standard input\n");
		return 1;
	}
	int rc = http_auth_hash_password(password, (unsigned)cost, hash, sizeof(hash));
	explicit_bzero(password, sizeof(password));
	if (rc < 0) {
		fprintf(stderr, "dbpulse: cannot hash the password\n");
		return 1;
	}
	puts(hash);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_ONCE, OPT_TEST_WEBHOOK };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "test-webhook", required_argument, NULL, OPT_TEST_WEBHOOK },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = DBPULSE_DEFAULT_CONFIG, *webhook = NULL;
	int mode = 0, c;

	/* one malloc arena for every thread: the targets' cycles are spread
	 * over their interval (scheduler.c), so the memory one cycle frees is
	 * what the next target's cycle takes; with an arena per thread (or
	 * two) each kept its own.  A lock per malloc costs little here: each
	 * thread allocates in bursts, at different moments, and glibc's
	 * per-thread cache takes the small ones (bench/pg_memory, 10
	 * PostgreSQL targets: +1.87 MiB a target with two arenas, +1.32 with
	 * one; bench/scrape_first unchanged) */
	mallopt(M_ARENA_MAX, 1);

	if (argc > 1 && strcmp(argv[1], "top") == 0)
		return top_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "hash-password") == 0)
		return hash_password(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "rules") == 0)
		return rules_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "advise") == 0)
		return advise_main(argc - 1, argv + 1);

	while ((c = getopt_long(argc, argv, "c:Vh", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case OPT_CHECK:
		case OPT_ONCE:
		case OPT_TEST_WEBHOOK:
			if (mode && mode != c) {
				fprintf(stderr, "dbpulse: --check-config, --once and --test-webhook exclude each other\n");
				return 2;
			}
			mode = c;
			if (c == OPT_TEST_WEBHOOK)
				webhook = optarg;
			break;
		case 'V':
			if (dbpulse_revision[0])
				printf("dbpulse %s (git %s)\n", PACKAGE_VERSION, dbpulse_revision);
			else
				printf("dbpulse %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dbpulse: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (mode == OPT_CHECK)
		return daemon_check_config(config);
	if (mode == OPT_ONCE)
		return daemon_once(config);
	if (mode == OPT_TEST_WEBHOOK)
		return daemon_test_webhook(config, webhook);
	return daemon_run(config);
}
