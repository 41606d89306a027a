/*
 * test_exposition.c -- the Prometheus text renderer: escaping, number
 * format, ordering, duplicate series, merging blocks that share families,
 * and the scrape body: the cached merge with the agent's own block after
 * it, as text and as one gzip stream joined from two deflate pieces.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <zlib.h>
#include <cmocka.h>

#include "buf.h"
#include "exposition.h"
#include "metrics.h"

static void test_escape_label_values(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "a\"b", "a\\\"b" },
		{ "back\\slash", "back\\\\slash" },
		{ "new\nline", "new\\nline" },
		{ "tab\tstays", "tab\tstays" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },                 /* valid UTF-8 kept */
		{ "bad\xff", "bad\xef\xbf\xbd" },                  /* invalid byte replaced */
		{ "cut\xe2\x82", "cut\xef\xbf\xbd\xef\xbf\xbd" },  /* truncated sequence */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "", "" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT(1024);
		expo_escape_label_value(&b, cases[i].in);
		assert_string_equal(buf_str(&b), cases[i].out);
		buf_release(&b);
	}
	struct buf b = BUF_INIT(1024);
	expo_escape_help(&b, "say \"hi\"\\\n");
	assert_string_equal(buf_str(&b), "say \"hi\"\\\\\\n");
	buf_release(&b);
}

static void test_format_values(void **state)
{
	static const struct { double v; const char *out; } cases[] = {
		{ 0, "0" }, { 1, "1" }, { -3, "-3" }, { 1234567890123.0, "1234567890123" },
		{ 0.5, "0.5" }, { 0.1, "0.1" }, { 1e300, "1e+300" },
		{ 1.5e-7, "0.00000015" }, { 16777216.0 * 1024, "17179869184" },
		{ 1e15, "1e+15" }, { 1.0 / 3.0, "0.33333333333333331" },
		{ 0.000123, "0.000123" }, { -2.5, "-2.5" }, { 12345.678901, "12345.678901" },
		{ 0.05, "0.05" }, { 123 / 1e6, "0.000123" }, { 50123 / 1e6, "0.050123" },
		{ 999999999.5, "999999999.5" }, { 1e-6, "0.000001" }, { 0.0000015, "0.0000015" }, { 1.5e-12, "1.5e-12" },
	};
	char out[32];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expo_format_value(cases[i].v, out);
		assert_string_equal(out, cases[i].out);
	}
	expo_format_value(0.0 / 0.0, out);
	assert_string_equal(out, "NaN");
	expo_format_value(1.0 / 0.0, out);
	assert_string_equal(out, "+Inf");
	expo_format_value(-1.0 / 0.0, out);
	assert_string_equal(out, "-Inf");
}

/* Whatever the value, its text reads back as the same double. */
static void test_format_round_trip(void **state)
{
	(void)state;
	char out[32];
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double v;
		switch (i % 4) {
		case 0: v = (double)(int64_t)(x % 2000000000000ull) / 1e6; break;
		case 1: v = (double)(int64_t)(x % 100000000ull) / 1e3 - 5e4; break;
		case 2: v = (double)(x >> 11) / (double)(1ull << 53) * 1e3; break;
		default: memcpy(&v, &x, sizeof(v)); if (isnan(v) || isinf(v)) v = 1; break;
		}
		expo_format_value(v, out);
		if (strtod(out, NULL) != v)
			fail_msg("%.17g was written as %s", v, out);
	}
}

static const struct metric_desc m_b = { "b_total", "B things.", METRIC_COUNTER };
static const struct metric_desc m_a = { "a_bytes", "A \"bytes\"\nmultiline \\.", METRIC_GAUGE };
static const struct metric_desc m_c = { "c_info", "C.", METRIC_GAUGE };

static void test_render(void **state)
{
	struct batch *b = batch_new();
	(void)state;
	batch_add(b, &m_b, 2, "x", "2", NULL);
	batch_add(b, &m_a, 10, NULL);
	batch_add(b, &m_b, 1, "x", "1", NULL);
	batch_add(b, &m_b, 3, "x", "1", NULL); /* repeated label set: dropped */
	batch_add(b, &m_c, 1, "v", "q\"uote", "w", "back\\", NULL);
	struct expo_block *blk = expo_render(b);
	char *text = expo_block_text(blk, NULL);
	assert_string_equal(text,
			    "# HELP a_bytes A \"bytes\"\\nmultiline \\\\.\n"
			    "# TYPE a_bytes gauge\n"
			    "a_bytes 10\n"
			    "# HELP b_total B things.\n"
			    "# TYPE b_total counter\n"
			    "b_total{x=\"2\"} 2\n"
			    "b_total{x=\"1\"} 1\n"
			    "# HELP c_info C.\n"
			    "# TYPE c_info gauge\n"
			    "c_info{v=\"q\\\"uote\",w=\"back\\\\\"} 1\n");
	free(text);
	assert_int_equal(blk->nfamilies, 3);
	assert_int_equal(blk->nseries, 4);
	assert_int_equal(blk->duplicates, 1);
	expo_block_unref(blk);
	batch_free(b);
}

/* A summary's quantiles, _sum and _count, and a histogram's _bucket, _sum
 * and _count samples: the name with its suffix, under one TYPE line; a
 * _sum and a _count with the labels of a quantile are not duplicates. */
static void test_render_parts(void **state)
{
	struct batch *b = batch_new();
	(void)state;
	const char *q50[] = { "cmd", "get", "quantile", "50" };
	const char *cmd[] = { "cmd", "get" };
	const char *le1[] = { "cmd", "get", "le", "1" };
	const char *inf[] = { "cmd", "get", "le", "+Inf" };
	batch_addv(b, "s_usec", "S.", METRIC_SUMMARY, 1.5, q50, 2);
	batch_addv_part(b, "s_usec", "S.", METRIC_SUMMARY, METRIC_PART_SUM, 30, cmd, 1);
	batch_addv_part(b, "s_usec", "S.", METRIC_SUMMARY, METRIC_PART_COUNT, 20, cmd, 1);
	batch_addv_part(b, "s_usec", "S.", METRIC_SUMMARY, METRIC_PART_COUNT, 21, cmd, 1);
	batch_addv_part(b, "h_usec", "H.", METRIC_HISTOGRAM, METRIC_PART_BUCKET, 4, le1, 2);
	batch_addv_part(b, "h_usec", "H.", METRIC_HISTOGRAM, METRIC_PART_BUCKET, 5, inf, 2);
	batch_addv_part(b, "h_usec", "H.", METRIC_HISTOGRAM, METRIC_PART_SUM, 7, cmd, 1);
	batch_addv_part(b, "h_usec", "H.", METRIC_HISTOGRAM, METRIC_PART_COUNT, 5, cmd, 1);
	struct expo_block *blk = expo_render(b);
	char *text = expo_block_text(blk, NULL);
	assert_string_equal(text,
			    "# HELP h_usec H.\n# TYPE h_usec histogram\n"
			    "h_usec_bucket{cmd=\"get\",le=\"1\"} 4\n"
			    "h_usec_bucket{cmd=\"get\",le=\"+Inf\"} 5\n"
			    "h_usec_sum{cmd=\"get\"} 7\n"
			    "h_usec_count{cmd=\"get\"} 5\n"
			    "# HELP s_usec S.\n# TYPE s_usec summary\n"
			    "s_usec{cmd=\"get\",quantile=\"50\"} 1.5\n"
			    "s_usec_sum{cmd=\"get\"} 30\n"
			    "s_usec_count{cmd=\"get\"} 20\n");
	free(text);
	assert_int_equal(blk->duplicates, 1);
	expo_block_unref(blk);

	/* batch_append keeps the parts */
	struct batch *c = batch_new();
	batch_append(c, b);
	blk = expo_render(c);
	text = expo_block_text(blk, NULL);
	assert_non_null(strstr(text, "s_usec_count{cmd=\"get\"} 20\n"));
	assert_non_null(strstr(text, "h_usec_bucket{cmd=\"get\",le=\"1\"} 4\n"));
	free(text);
	expo_block_unref(blk);
	batch_free(c);
	batch_free(b);
}

static int gunzip(const struct buf *gz, struct buf *out)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return -1;
	zs.next_in = (unsigned char *)gz->data;
	zs.avail_in = (uInt)gz->len;
	int rc;
	do {
		buf_reserve(out, 65536);
		zs.next_out = (unsigned char *)out->data + out->len;
		zs.avail_out = 65536;
		rc = inflate(&zs, Z_NO_FLUSH);
		out->len += 65536 - zs.avail_out;
	} while (rc == Z_OK);
	inflateEnd(&zs);
	if (out->data)
		out->data[out->len] = '\0';
	/* the whole input must have been one complete gzip member */
	return rc == Z_STREAM_END && zs.avail_in == 0 ? 0 : -1;
}

static struct expo_block *target_block(const char *target, double up)
{
	static const struct metric_desc m_up = { "pg_up", "Up.", METRIC_GAUGE };
	static const struct metric_desc m_own = { "own_total", "Own.", METRIC_COUNTER };
	struct batch *b = batch_new();
	batch_add(b, &m_up, up, "target", target, NULL);
	char fam[64];
	snprintf(fam, sizeof(fam), "only_%s", target);
	batch_add_named(b, fam, "Only here.", METRIC_GAUGE, 7, NULL);
	batch_add(b, &m_own, 42, "target", target, NULL);
	struct expo_block *blk = expo_render(b);
	batch_free(b);
	return blk;
}

static const char merged_text[] =
	"# HELP only_beta Only here.\n"
	"# TYPE only_beta gauge\n"
	"only_beta 7\n"
	"# HELP only_main Only here.\n"
	"# TYPE only_main gauge\n"
	"only_main 7\n"
	"# HELP own_total Own.\n"
	"# TYPE own_total counter\n"
	"own_total{target=\"main\"} 42\n"
	"own_total{target=\"beta\"} 42\n"
	"# HELP pg_up Up.\n"
	"# TYPE pg_up gauge\n"
	"pg_up{target=\"main\"} 1\n"
	"pg_up{target=\"beta\"} 0\n";

static void test_merge(void **state)
{
	(void)state;
	struct expo_block *blocks[3] = { target_block("main", 1), NULL, target_block("beta", 0) };
	struct buf out = BUF_INIT(1 << 20);
	assert_int_equal(expo_merge(blocks, 3, &out), 0);
	assert_string_equal(buf_str(&out), merged_text);
	buf_release(&out);
	expo_block_unref(blocks[0]);
	expo_block_unref(blocks[2]);
}

/* A guest's block (the textfile collector's): a family another block has
 * is left out of the guest's part, unless HELP and TYPE are the same; its
 * own families come out; the guest's HELP never wins. */
static void test_merge_guest(void **state)
{
	(void)state;
	static const struct metric_desc g_up = { "pg_up", "Up from a file.", METRIC_COUNTER };
	static const struct metric_desc g_own = { "own_total", "Own.", METRIC_COUNTER };
	static const struct metric_desc g_mine = { "a_mine", "Mine.", METRIC_GAUGE };
	struct batch *b = batch_new();
	batch_add(b, &g_up, 5, "file", "x", NULL);
	batch_add(b, &g_own, 9, "file", "x", NULL);
	batch_add(b, &g_mine, 1, NULL);
	struct expo_block *guest = expo_render(b);
	batch_free(b);
	guest->guest = 1;
	assert_true(expo_block_has_family(guest, "pg_up"));
	assert_true(expo_block_has_family(guest, "a_mine"));
	assert_false(expo_block_has_family(guest, "pg_u"));
	assert_false(expo_block_has_family(guest, "pg_up_x"));
	assert_false(expo_block_has_family(guest, ""));
	/* the guest first: its pg_up (another HELP and TYPE) goes, its
	 * own_total (the same) joins */
	struct expo_block *blocks[2] = { guest, target_block("main", 1) };
	struct buf out = BUF_INIT(1 << 20);
	assert_int_equal(expo_merge(blocks, 2, &out), 0);
	assert_string_equal(buf_str(&out),
			    "# HELP a_mine Mine.\n"
			    "# TYPE a_mine gauge\n"
			    "a_mine 1\n"
			    "# HELP only_main Only here.\n"
			    "# TYPE only_main gauge\n"
			    "only_main 7\n"
			    "# HELP own_total Own.\n"
			    "# TYPE own_total counter\n"
			    "own_total{file=\"x\"} 9\n"
			    "own_total{target=\"main\"} 42\n"
			    "# HELP pg_up Up.\n"
			    "# TYPE pg_up gauge\n"
			    "pg_up{target=\"main\"} 1\n");
	/* alone, a guest's families are all served */
	buf_reset(&out);
	assert_int_equal(expo_merge(blocks, 1, &out), 0);
	assert_non_null(strstr(buf_str(&out), "# TYPE pg_up counter\npg_up{file=\"x\"} 5\n"));
	buf_release(&out);
	expo_block_unref(blocks[0]);
	expo_block_unref(blocks[1]);
}

static struct expo_block *own_block(void)
{
	static const struct metric_desc m_scrapes = { "scrapes_total", "Scrapes.", METRIC_COUNTER };
	struct batch *b = batch_new();
	batch_add(b, &m_scrapes, 3, NULL);
	struct expo_block *own = expo_render(b);
	batch_free(b);
	return own;
}

static void test_respond(void **state)
{
	(void)state;
	struct expo_block *blocks[2] = { target_block("main", 1), target_block("beta", 0) };
	struct expo_merged *m = expo_merged_new(blocks, 2, 7);
	expo_block_unref(blocks[0]); /* the merge keeps its own copy */
	expo_block_unref(blocks[1]);
	assert_int_equal(m->generation, 7);
	struct expo_block *own = own_block();
	const char *own_text = "# HELP scrapes_total Scrapes.\n# TYPE scrapes_total counter\nscrapes_total 3\n";

	struct buf out = BUF_INIT(1 << 20);
	assert_int_equal(expo_respond(m, own, 0, &out), 0);
	struct buf want = BUF_INIT(1 << 20);
	buf_puts(&want, merged_text);
	buf_puts(&want, own_text);
	assert_string_equal(buf_str(&out), buf_str(&want));

	/* gzip, twice: the layout is read, never changed */
	for (int round = 0; round < 2; round++) {
		struct buf gz = BUF_INIT(1 << 20), plain = BUF_INIT(1 << 20);
		assert_int_equal(expo_respond(m, own, 1, &gz), 0);
		assert_int_equal(gunzip(&gz, &plain), 0);
		assert_string_equal(buf_str(&plain), buf_str(&want));
		buf_release(&gz);
		buf_release(&plain);
	}
	/* without an own block, and an empty merge */
	struct buf gz = BUF_INIT(1 << 20), plain = BUF_INIT(1 << 20);
	assert_int_equal(expo_respond(m, NULL, 1, &gz), 0);
	assert_int_equal(gunzip(&gz, &plain), 0);
	assert_string_equal(buf_str(&plain), merged_text);
	struct expo_merged *empty = expo_merged_new(NULL, 0, 0);
	buf_reset(&gz);
	buf_reset(&plain);
	assert_int_equal(expo_respond(empty, NULL, 1, &gz), 0);
	assert_int_equal(gunzip(&gz, &plain), 0);
	assert_int_equal(plain.len, 0);
	expo_merged_unref(empty);

	buf_release(&gz);
	buf_release(&plain);
	buf_release(&out);
	buf_release(&want);
	expo_block_unref(own);
	expo_merged_unref(m);
}

/* A large exposition: the joined stream still inflates exactly. */
static void test_gzip_large(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	char name[64], label[64];
	for (int f = 0; f < 300; f++) {
		snprintf(name, sizeof(name), "family_%03d_total", f);
		for (int s = 0; s < (f % 7) * 40 + 1; s++) {
			snprintf(label, sizeof(label), "series-%d", s);
			batch_add_named(b, name, "A family.", METRIC_COUNTER, f * 1000.0 + s + 0.25, "s",
					label, NULL);
		}
	}
	struct expo_block *blk = expo_render(b);
	struct expo_merged *m = expo_merged_new(&blk, 1, 1);
	assert_int_equal(m->len, blk->text_len);
	struct expo_block *own = own_block();
	struct buf gz = BUF_INIT((size_t)1 << 26);
	assert_int_equal(expo_respond(m, own, 1, &gz), 0);
	assert_true(gz.len < m->len / 4);
	struct buf plain = BUF_INIT((size_t)1 << 26);
	assert_int_equal(gunzip(&gz, &plain), 0);
	assert_int_equal(plain.len, m->len + own->text_len);
	char *text = expo_block_text(blk, NULL);
	assert_memory_equal(plain.data, text, m->len);
	free(text);
	buf_release(&plain);
	buf_release(&gz);
	expo_block_unref(own);
	expo_merged_unref(m);
	expo_block_unref(blk);
	batch_free(b);
}

/* A batch for test_pieces_join: families drawn from a shared pool by a
 * seed, some with another HELP (guests' heads that differ). */
static struct batch *pool_batch(unsigned seed, int guest)
{
	struct batch *b = batch_new();
	char name[64], label[32], help[64];
	for (int f = 0; f < 40; f++) {
		if ((seed * 7u + (unsigned)f * 13u) % 3 == 0)
			continue; /* not every block has every family */
		snprintf(name, sizeof(name), "pool_%02d_total", f);
		snprintf(help, sizeof(help), "Pool family %d%s.", f, guest && f % 4 == 0 ? " (file)" : "");
		for (int k = 0; k < 1 + (f * 5 + (int)seed) % 30; k++) {
			snprintf(label, sizeof(label), "b%u-%d", seed, k);
			batch_add_named(b, name, help, METRIC_COUNTER, f * 1e3 + k + seed / 8.0, "src",
					label, NULL);
		}
	}
	if (seed % 2) { /* a family of its own, at either end */
		snprintf(name, sizeof(name), seed % 4 == 1 ? "aaa_%u" : "zzz_%u", seed);
		batch_add_named(b, name, "Its own.", METRIC_GAUGE, seed, NULL);
	}
	return b;
}

/* Lays out subsets of the blocks in many orders: the gzip answer, joined
 * from pieces compressed when each block was rendered, inflates to exactly
 * the plain one.  Returns the bytes the layouts compressed themselves. */
static size_t join_rounds(struct expo_block *const *pool, size_t npool)
{
	struct expo_block *own = own_block();
	unsigned rng = 12345;
	size_t own_z = 0;
	for (int round = 0; round < 60; round++) {
		struct expo_block *pick[16];
		size_t n = 0;
		for (size_t i = 0; i < npool; i++) {
			rng = rng * 1103515245u + 12345u;
			if ((rng >> 16) % 3)
				pick[n++] = pool[(i + (size_t)round) % npool];
		}
		struct expo_merged *m = expo_merged_new(pick, n, (uint64_t)round);
		own_z += m->own_z.len;
		struct buf text = BUF_INIT(1 << 24), gz = BUF_INIT(1 << 24), plain = BUF_INIT(1 << 24);
		assert_int_equal(expo_respond(m, round % 2 ? own : NULL, 0, &text), 0);
		assert_int_equal(expo_respond(m, round % 2 ? own : NULL, 1, &gz), 0);
		/* gunzip checks the CRC, made from the text when it was rendered */
		assert_int_equal(gunzip(&gz, &plain), 0);
		assert_int_equal(plain.len, text.len);
		assert_memory_equal(plain.data, text.data, text.len);
		/* the second plain answer copies the text the first inflated */
		buf_reset(&plain);
		assert_int_equal(expo_respond(m, round % 2 ? own : NULL, 0, &plain), 0);
		assert_int_equal(plain.len, text.len);
		assert_memory_equal(plain.data, text.data, text.len);
		assert_true(n == 0 || gz.len < text.len / 2);
		buf_release(&text);
		buf_release(&gz);
		buf_release(&plain);
		expo_merged_unref(m);
	}
	expo_block_unref(own);
	return own_z;
}

/* got, rendered from its previous block, inflates to the text of want,
 * rendered afresh, with its CRC; the text has the line. */
static void assert_same_block_text(const struct expo_block *got, const struct expo_block *want,
				   const char *line)
{
	char *w = expo_block_text(want, NULL), *g = expo_block_text(got, NULL);
	assert_non_null(strstr(w, line));
	assert_string_equal(g, w);
	assert_int_equal(got->crc, want->crc);
	free(w);
	free(g);
}

/* Blocks rendered alone are cut by the layout (what it cuts, it compresses
 * itself); rendered among the others, every piece a layout of any of them
 * needs is whole; rendered again, unchanged pieces are taken from the
 * block before.  One block's answer carries its compressed bytes as they
 * are: a copy, nothing compressed again. */
static void test_pieces_join(void **state)
{
	(void)state;
	enum { NBLOCKS = 7 };
	struct batch *batches[NBLOCKS];
	struct expo_block *alone[NBLOCKS], *among[NBLOCKS];
	for (unsigned i = 0; i < NBLOCKS; i++) {
		batches[i] = pool_batch(i + 1, i % 3 == 2);
		alone[i] = expo_render(batches[i]);
		alone[i]->guest = i % 3 == 2;
	}
	for (unsigned i = 0; i < NBLOCKS; i++) {
		among[i] = expo_render_among(batches[i], alone, NBLOCKS, NULL);
		among[i]->guest = i % 3 == 2;
		assert_true(among[i]->npieces > alone[i]->npieces);
	}
	assert_true(join_rounds(alone, NBLOCKS) > 0);
	assert_int_equal(join_rounds(among, NBLOCKS), 0);

	/* rendered again after among[0]: its pieces are taken, not made (a
	 * byte changed in them shows in the new block) */
	among[0]->z[0] ^= 0x55;
	struct expo_block *again = expo_render_among(batches[0], alone, NBLOCKS, among[0]);
	assert_int_equal(again->z_len, among[0]->z_len);
	assert_memory_equal(again->z, among[0]->z, again->z_len);
	among[0]->z[0] ^= 0x55;
	expo_block_unref(again);

	/* a value changed in one family: that piece is compressed anew, the
	 * others are taken, and the block inflates to the new text */
	struct batch *changed = pool_batch(1, 0);
	batch_add_named(changed, "pool_01_total", "Pool family 1.", METRIC_COUNTER, 42, "src",
			"new", NULL);
	again = expo_render_among(changed, alone, NBLOCKS, among[0]);
	struct expo_block *fresh = expo_render_among(changed, alone, NBLOCKS, NULL);
	assert_same_block_text(again, fresh, "pool_01_total{src=\"new\"} 42\n");
	expo_block_unref(fresh);
	expo_block_unref(again);
	batch_free(changed);

	/* a block alone: its pieces follow one another whole, the answer is
	 * its bytes between the gzip header and trailer */
	struct expo_merged *one = expo_merged_new(&alone[0], 1, 1);
	struct buf gz = BUF_INIT(1 << 24);
	assert_int_equal(expo_respond(one, NULL, 1, &gz), 0);
	assert_int_equal(gz.len, 10 + alone[0]->z_len + 2 + 8);
	assert_memory_equal(gz.data + 10, alone[0]->z, alone[0]->z_len);
	buf_release(&gz);
	expo_merged_unref(one);
	for (unsigned i = 0; i < NBLOCKS; i++) {
		expo_block_unref(alone[i]);
		expo_block_unref(among[i]);
		batch_free(batches[i]);
	}
}

/* The index of the family of that name in blk (nfamilies if none). */
static size_t family_index(const struct expo_block *blk, const char *name)
{
	size_t f = 0;
	while (f < blk->nfamilies &&
	       (blk->families[f].name_len != strlen(name) ||
		memcmp(blk->heads + blk->families[f].name_off, name, strlen(name)) != 0))
		f++;
	return f;
}

/* Bytes at the same place from the start, then from the end, of a and b. */
static size_t same_ends(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen, head = 0, tail = 0;
	while (head < n && a[head] == b[head])
		head++;
	while (tail < n - head && a[alen - 1 - tail] == b[blen - 1 - tail])
		tail++;
	return head + tail;
}

/* A block with no others in its way is cut at families whose samples
 * change (and at about 16 kB), so that such a family takes its own piece
 * to be compressed again, not the whole block: once it changed, most of
 * the next block's bytes are the last one's. */
static void test_alone_cut_into_pieces(void **state)
{
	(void)state;
	struct batch *b = pool_batch(3, 0);
	struct expo_block *last = expo_render(b), *first_blk = expo_block_ref(last);
	struct expo_block *blk = NULL;
	for (int v = 40; v < 43; v++) {
		batch_free(b);
		b = pool_batch(3, 0);
		batch_add_named(b, "pool_20_total", "Pool family 20.", METRIC_COUNTER, v, "src",
				"new", NULL);
		blk = expo_render_among(b, NULL, 0, last);
		if (v < 42) {
			expo_block_unref(last);
			last = blk;
		}
	}
	/* pool_20 changed before: its head, its body and what follows are
	 * pieces apart, the rest as it was */
	size_t changed = family_index(blk, "pool_20_total");
	assert_true(changed + 1 < blk->nfamilies);
	assert_int_not_equal(blk->part_piece[2 * changed], blk->part_piece[2 * changed + 1]);
	assert_int_not_equal(blk->part_piece[2 * changed + 1], blk->part_piece[2 * changed + 2]);
	size_t first = family_index(first_blk, "pool_20_total");
	assert_int_equal(first_blk->part_piece[2 * first], first_blk->part_piece[2 * first + 1]);
	assert_true(same_ends(blk->z, blk->z_len, last->z, last->z_len) > blk->z_len * 3 / 4);
	struct expo_block *fresh = expo_render(b);
	assert_same_block_text(blk, fresh, "pool_20_total{src=\"new\"} 42\n");
	expo_block_unref(fresh);
	expo_block_unref(blk);
	expo_block_unref(last);
	expo_block_unref(first_blk);
	batch_free(b);

	/* 64 families of about 3 kB that never change: pieces of about 16 kB */
	b = batch_new();
	char name[32], label[16];
	for (int f = 0; f < 64; f++) {
		snprintf(name, sizeof(name), "steady_%02d_total", f);
		for (int k = 0; k < 80; k++) {
			snprintf(label, sizeof(label), "s%d", k);
			batch_add_named(b, name, "Steady.", METRIC_COUNTER, k, "src", label, NULL);
		}
	}
	blk = expo_render(b);
	assert_true(blk->text_len > 100000);
	assert_true(blk->npieces >= blk->text_len / (18u << 10));
	assert_true(blk->npieces <= blk->text_len / (14u << 10) + 1);
	expo_block_unref(blk);
	batch_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_label_values),
		cmocka_unit_test(test_format_values),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_parts),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_guest),
		cmocka_unit_test(test_respond),
		cmocka_unit_test(test_gzip_large),
		cmocka_unit_test(test_pieces_join),
		cmocka_unit_test(test_alone_cut_into_pieces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
