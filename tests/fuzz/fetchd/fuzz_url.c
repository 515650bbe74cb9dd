/*
 * fuzz_url.c -- fetchd's pure parsers of peer input: the URL rules
 * (fetch_url_check(), over libcurl's URL parser) and a 206 reply's
 * Content-Range.  The first byte picks which; an accepted URL is http or
 * https and its shown form carries no password; an accepted range lies
 * inside its total.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long long first, last, total;
	char *text, *shown = NULL;

	if (size < 1)
		return 0;
	if ((text = malloc(size)) == NULL)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1) {
		if (fetch_content_range(text, &first, &last, &total) == 0 &&
		    (first < 0 || first > last || last >= total))
			abort();
	} else if (fetch_url_check(text, &shown) == 0) {
		if (strncmp(shown, "http://", 7) != 0 &&
		    strncmp(shown, "https://", 8) != 0)
			abort();
		free(shown);
	}
	free(text);
	return 0;
}
