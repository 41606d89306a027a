/*
 * fuzz_proc.h -- what the fuzz targets of the /proc parsers share
 * (collectors/host_proc.c).  Each target parses its input twice, each
 * time from its own copy (the parsers cut the text in place), NUL-
 * terminated after len as host.c passes a file read by read_file:
 *
 *   fresh    into a zeroed result;
 *   reused   into a result that first held the parse of the input's
 *            first half (host.c parses into the same result every
 *            collection);
 *
 * and checks that both give the same rc and, when they succeed, the same
 * result (compared through a text dump of each), then releases both.
 */
#ifndef DBPULSE_FUZZ_PROC_H
#define DBPULSE_FUZZ_PROC_H

#include "buf.h"
#include "fuzz_util.h"
#include "host_proc.h"

struct fuzz_proc {
	/* calls the host_parse_* function on a result */
	int (*parse)(char *text, size_t len, void *out, char *err, size_t errlen);
	/* appends the result as text */
	void (*dump)(const void *res, struct buf *out);
	/* host_*_release, or NULL */
	void (*release)(void *res);
	/* extra checks of a fresh result, or NULL */
	void (*check)(const void *res, int rc);
};

/* fresh and reused are zeroed results of the parser's type. */
static inline int fuzz_proc_run(const struct fuzz_proc *p, void *fresh, void *reused,
				const uint8_t *data, size_t size)
{
	char err[256] = "";
	char *t1 = fuzz_strndup(data, size), *t2 = fuzz_strndup(data, size / 2);
	char *t3 = fuzz_strndup(data, size);
	int rc1 = p->parse(t1, size, fresh, err, sizeof(err));
	FUZZ_CHECK(rc1 == 0 || (rc1 == -1 && err[0]), "rc %d, err '%s'", rc1, err);
	p->parse(t2, size / 2, reused, err, sizeof(err));
	int rc2 = p->parse(t3, size, reused, err, sizeof(err));
	FUZZ_CHECK(rc1 == rc2, "rc %d fresh, %d reused", rc1, rc2);
	if (p->check)
		p->check(fresh, rc1);
	struct buf d1 = BUF_INIT(BUF_UNLIMITED), d2 = BUF_INIT(BUF_UNLIMITED);
	p->dump(fresh, &d1);
	p->dump(reused, &d2);
	/* (after a failure, what the result holds is not specified) */
	FUZZ_CHECK(rc1 < 0 || (d1.len == d2.len && memcmp(buf_str(&d1), buf_str(&d2), d1.len) == 0),
		   "fresh parse '%s', reused '%s'", buf_str(&d1), buf_str(&d2));
	buf_release(&d1);
	buf_release(&d2);
	if (p->release) {
		p->release(fresh);
		p->release(reused);
	}
	free(t1);
	free(t2);
	free(t3);
	return rc1;
}

#endif
