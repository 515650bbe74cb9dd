/*
 * http_head.c -- libFuzzer target for common/httpparse.c.
 *
 * The input is what a peer sends on a fresh connection: a request head,
 * then (if the head ends) the body, decoded as chunked in pieces whose sizes
 * come from the head's length so that every split gets tried.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Runs the chunked decoder over the bytes after the head. */
static void
fuzz_chunked(const char *s, size_t len, size_t step)
{
	struct httpparse_chunked c;
	const char *why;
	size_t off = 0, used, data, n;

	httpparse_chunked_init(&c, 1024);
	while (off < len && !httpparse_chunked_done(&c)) {
		n = len - off < step ? len - off : step;
		if (httpparse_chunked_feed(&c, s + off, n, &used, &data, &why) <
		    0)
			return;
		if (data > used || used > n)
			abort();
		if (used == 0 && !httpparse_chunked_done(&c))
			abort(); /* no progress on fresh input */
		off += used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpparse_head h;
	const char *s = (const char *)data;
	size_t hl, i, got;

	hl = httpparse_head_len(s, size, 0);
	if (hl == 0) {
		if (size > 0)
			(void)httpparse_overflow_status(s, size);
		fuzz_chunked(s, size, 7);
		return 0;
	}
	/* scanning as the bytes trickle in must find the same end */
	for (i = 1, got = 0; i <= size && got == 0; i++)
		got = httpparse_head_len(s, i, i - 1);
	if (got != hl)
		abort();
	if (httpparse_head_parse(s, hl, &h) == 0) {
		if (h.path == NULL || h.path[0] != '/' || h.method == NULL)
			abort();
		(void)httpparse_field(&h, "content-length");
		(void)httpparse_field(&h, "host");
		for (i = 0; i < h.nparams; i++)
			if (httpparse_query(&h, h.params[i].key) == NULL)
				abort();
		for (i = 0; i < h.nfields; i++)
			if (httpparse_field(&h, h.fields[i].name) == NULL)
				abort();
	} else if (h.status < 400 || h.status > 599 || h.why == NULL)
		abort();
	httpparse_head_free(&h);
	fuzz_chunked(s + hl, size - hl, hl % 13 + 1);
	return 0;
}
