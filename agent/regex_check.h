/*
 * regex_check.h -- refuses regular expressions that glibc's regcomp()
 * would take minutes or gigabytes to compile.
 *
 * glibc expands repetitions when it compiles: every stacked quantifier
 * ("a++++") doubles the automaton and nested counts ("(a{1000}){1000}")
 * multiply it.  Prometheus (Go's regexp, RE2 syntax) refuses both, so a
 * rule or config that does this is wrong anyway.  Every pattern from a
 * config or an alert expression goes through regex_check() before
 * regcomp() (agent/confval.c, alerts/expr.c); regex_check.c implements it.
 */
#ifndef DBPULSE_REGEX_CHECK_H
#define DBPULSE_REGEX_CHECK_H

#include <stddef.h>

/* The longest pattern accepted, in bytes. */
#define REGEX_MAX_LEN 4096
/* The largest repetition count, alone or multiplied over nested groups
 * (RE2's and Go's limit). */
#define REGEX_MAX_REPEAT 1000
/* The deepest nesting of groups (Go's limit). */
#define REGEX_MAX_DEPTH 1000

/* Checks a POSIX extended regular expression, as written, before
 * regcomp(): 0 if it may be compiled, or -1 with why in err, e.g.
 * "invalid nested repetition operator '++' at column 5" (columns count
 * bytes from 1).  Syntax errors are left to regcomp(). */
int regex_check(const char *pattern, char *err, size_t errlen);

#endif
