/*
 * build_info.h -- the peer exporters' <exporter>_build_info families,
 * served by the collector that stands in for each peer: dashboards list
 * their instances by them (node_exporter's own USE dashboard takes its
 * instance variable from node_exporter_build_info), so without them a
 * dashboard stays empty after the switch.  Labelled as the peer labels
 * them, with dbpulse's version and git revision as the values (no Go
 * toolchain built it: goversion is "").
 */
#ifndef DBPULSE_BUILD_INFO_H
#define DBPULSE_BUILD_INFO_H

struct batch;

/* The label sets of the peers' build info. */
enum build_info_style {
	BUILD_INFO_CLIENT_GOLANG,   /* branch, goarch, goos, goversion, revision, tags, version */
	BUILD_INFO_REDIS_EXPORTER,  /* build_date, commit_sha, golang_version, version */
};

/* Adds <exporter>_build_info = 1 (exporter "node_exporter", ...), with
 * target="NAME" unless target is NULL. */
void build_info_add(struct batch *b, const char *exporter, enum build_info_style style,
		    const char *target);

#endif
