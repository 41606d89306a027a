/*
 * tmp_tree.h -- temporary directory trees for the unit tests that read
 * files (a /proc, a /sys or a textfile directory of their own): made under
 * /tmp, filled a file at a time, removed whole.  Include after <cmocka.h>.
 */
#ifndef DBPULSE_TMP_TREE_H
#define DBPULSE_TMP_TREE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xalloc.h"

#define TMP_TREE_PREFIX "/tmp/dbpulse-"

/* A new empty directory /tmp/dbpulse-WHAT-XXXXXX; the caller removes it
 * with tmp_tree_remove. */
static inline char *tmp_tree(const char *what)
{
	char *d = xasprintf(TMP_TREE_PREFIX "%s-XXXXXX", what);
	assert_non_null(mkdtemp(d));
	return d;
}

/* Writes content to dir/rel, making the directories on the way. */
static inline void tmp_tree_put(const char *dir, const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	free(path);
}

static inline int tmp_tree_remove_entry(const char *path, const struct stat *st, int flag,
					struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* Removes a tree tmp_tree made (never anything else) and frees dir. */
static inline void tmp_tree_remove(char *dir)
{
	assert_int_equal(strncmp(dir, TMP_TREE_PREFIX, strlen(TMP_TREE_PREFIX)), 0);
	nftw(dir, tmp_tree_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

#endif
