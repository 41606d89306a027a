/*
 * page_assets.h -- the files of the DBA's page (exporters/page/), compiled
 * into the binary by scripts/embed-assets so the page works offline and
 * the agent needs no data directory.
 */
#ifndef DBPULSE_PAGE_ASSETS_H
#define DBPULSE_PAGE_ASSETS_H

#include <stddef.h>

struct page_asset {
	const char *path;            /* "/queries", "/queries.js", "/queries.css" */
	const char *content_type;
	const unsigned char *data;
	size_t size;
};

/* Ended by a NULL path. */
extern const struct page_asset page_assets[];

/* The asset served at path, or NULL. */
const struct page_asset *page_asset_find(const char *path);

/* What the page may load: itself, nothing else; no inline code. */
#define PAGE_CSP                                                                                  \
	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "           \
	"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

#endif
