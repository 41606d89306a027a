/*
 * fuzz_config.c -- agent.ini loading (agent/config.c config_load_string,
 * the in-memory twin of config_load, with the real table of kinds: inih,
 * typed keys of confval.c, [alert]/[webhook] keys with their expression
 * and template parsers, cross-section checks).
 *
 * Properties: no crash, leak or UB; a load fails exactly when it reported
 * an error, and every error line (but the caret lines of an expression)
 * names the file; a loaded config describes itself, finds each of its
 * sections again and compares equal to itself section by section.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "fuzz_util.h"

#define NAME "fuzz.ini"

/* Each line of errors that does not start with a space names the file. */
static void check_errors(const struct buf *errors)
{
	const char *p = buf_str(errors);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && p[0] != ' ')
			FUZZ_CHECK(strncmp(p, NAME ":", sizeof(NAME)) == 0, "error line '%.*s'",
				   (int)n, p);
		p += n + (nl != NULL);
	}
}

static void check_config(const struct config *cfg)
{
	struct buf d = BUF_INIT(BUF_UNLIMITED);
	for (size_t i = 0; i < cfg->nsections; i++) {
		const struct config_section *s = &cfg->sections[i];
		if (s->kind->describe) {
			buf_reset(&d);
			s->kind->describe(s, &d);
		}
		FUZZ_CHECK(config_section_same(s, s), "section %s differs from itself", s->label);
		const struct config_section *found =
			config_find(cfg, s->kind->name, s->kind->named ? s->name : NULL);
		FUZZ_CHECK(found == s, "config_find(%s) gave another section", s->label);
	}
	buf_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf errors = BUF_INIT(BUF_UNLIMITED);
	struct config *cfg = config_load_string((const char *)data, size, NAME, &errors);
	if (cfg) {
		FUZZ_CHECK(errors.len == 0, "loaded, with errors: %s", buf_str(&errors));
		check_config(cfg);
		config_unref(cfg);
	} else {
		FUZZ_CHECK(errors.len > 0, "failed without an error");
		check_errors(&errors);
	}
	buf_release(&errors);
	return 0;
}
