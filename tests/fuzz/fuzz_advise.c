/*
 * fuzz_advise.c -- `dbpulse advise`'s text (cmd/top_render.c
 * advise_render) of an /api/advice answer, which comes from the network
 * and holds the database's names.
 *
 * Input: the answer's body, any bytes (the seeds are real answers, with
 * hostile identifiers).
 *
 * Properties: no crash, leak or UB; a body that is not an /api/advice
 * object is refused with a reason and nothing written; what is written
 * is lines of printable text: no control character but the newline that
 * ends each line, no ESC (top_clean_text's guarantees,
 * which keep the terminal's state out of the data's hands).
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "fuzz_util.h"
#include "top.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_strndup(data, size);
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	char err[256] = "";
	int rc = advise_render(body, 120, &out, err, sizeof(err));
	if (rc < 0) {
		FUZZ_CHECK(out.len == 0, "refused, yet %zu bytes written", out.len);
		FUZZ_CHECK(err[0], "refused without a reason");
	} else {
		const unsigned char *p = (const unsigned char *)buf_str(&out);
		for (size_t i = 0; i < out.len; i++)
			FUZZ_CHECK(p[i] == '\n' || (p[i] >= 0x20 && p[i] != 0x7F),
				   "control byte 0x%02x at %zu: %s", p[i], i, buf_str(&out));
		FUZZ_CHECK(out.len == 0 || p[out.len - 1] == '\n', "the last line is not ended");
	}
	buf_release(&out);
	free(body);
	return 0;
}
