/*
 * fuzz_redis_info.c -- the text of an INFO ALL reply (collectors/
 * redis_info.c redis_info_emit into a batch, with the field tables of
 * redis_info_fields.c), then the batch rendered as exposition text
 * (agent/exposition.c expo_render), as the collector publishes it.
 * Also redis_info_quantile on the first line of the input.  The number of
 * databases given (for the empty ones' zeros) comes from the input's
 * length, so that some inputs have none and some thousands.
 *
 * The text is passed without a NUL after it (in a buffer of exactly its
 * size), as the parser promises to take it.
 *
 * Properties: no crash, leak or UB; the summary's strings are
 * NUL-terminated within their arrays and ndbs <= REDIS_INFO_MAX_DBS;
 * failure means no field was read; a quantile label is a number in
 * [0, 100]; the kept commandstats are in name order and found again.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "exposition.h"
#include "fuzz_util.h"
#include "metrics.h"
#include "redis_info.h"

static void check_summary(const struct redis_info_summary *s, int rc)
{
	FUZZ_CHECK(memchr(s->role, 0, sizeof(s->role)) != NULL, "role not terminated");
	FUZZ_CHECK(memchr(s->redis_version, 0, sizeof(s->redis_version)) != NULL,
		   "redis_version not terminated");
	FUZZ_CHECK(memchr(s->run_id, 0, sizeof(s->run_id)) != NULL, "run_id not terminated");
	FUZZ_CHECK(s->ndbs <= REDIS_INFO_MAX_DBS, "ndbs %u", s->ndbs);
	for (size_t i = 0; i < s->ncmdstats; i++) {
		FUZZ_CHECK(i == 0 || strcmp(s->cmdstats[i - 1].cmd, s->cmdstats[i].cmd) <= 0,
			   "commandstats out of order");
		FUZZ_CHECK(redis_info_cmdstat(s, s->cmdstats[i].cmd) != NULL, "'%s' not found",
			   s->cmdstats[i].cmd);
	}
	if (rc < 0)
		FUZZ_CHECK(s->fields == 0, "failed with %u fields", s->fields);
}

static void check_quantile(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	if (n > 64)
		return;
	char *pct = fuzz_strndup(data, n);
	char out[32];
	if (redis_info_quantile(pct, out, sizeof(out)) == 0) {
		double q = 0;
		FUZZ_CHECK(parse_double(out, &q) == 0 && q >= 0 && q <= 100,
			   "quantile of '%s' is '%s'", pct, out);
	}
	free(pct);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	struct batch *b = batch_new();
	struct redis_info_summary sum;
	char err[256];
	int rc = redis_info_emit(text, size, "cache", 1764616800.0, (int)(size % 2048), b, &sum, err,
				 sizeof(err));
	check_summary(&sum, rc);
	redis_info_summary_release(&sum);
	struct expo_block *blk = expo_render(b);
	expo_block_unref(blk);
	batch_free(b);
	free(text);
	check_quantile(data, size);
	return 0;
}
