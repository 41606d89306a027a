/*
 * version.h -- what dbpulse was built from: the version of configure.ac
 * (PACKAGE_VERSION) and, when built from git, the revision (git describe,
 * e.g. "v0.1.0-4-g3f2a9c1d0e4b-dirty"; "" when unknown).  The revision is
 * generated into revision.c at every build (scripts/revision).
 */
#ifndef DBPULSE_VERSION_H
#define DBPULSE_VERSION_H

extern const char dbpulse_revision[];

#endif
