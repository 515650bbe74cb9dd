/*
 * fuzz_linespec.c -- the [gpiod-ctl] line syntax.  Input: the key, a
 * newline, the value.  A spec that parses must format to text that parses
 * back to the same spec; a refusal must come with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "linespec.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct linespec a, b;
	char *buf, *nl, text[512];

	if (len > 4096)
		return 0;
	buf = malloc(len + 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, len);
	buf[len] = '\0';
	if ((nl = strchr(buf, '\n')) == NULL) {
		free(buf);
		return 0;
	}
	*nl = '\0';
	error_clear();
	if (linespec_parse(buf, nl + 1, &a) == 0) {
		if (linespec_format(&a, text, sizeof(text)) != 0)
			abort();
		memset(&b, 0, sizeof(b));
		if (linespec_parse(buf, text, &b) != 0)
			abort();
		if (strcmp(a.chip, b.chip) != 0 || a.offset != b.offset ||
		    a.dir != b.dir || a.active_low != b.active_low ||
		    a.bias != b.bias || a.drive != b.drive ||
		    a.debounce_ms != b.debounce_ms || a.poll != b.poll ||
		    a.role != b.role || strcmp(a.name, b.name) != 0)
			abort();
	} else if (error_get() == NULL)
		abort();
	free(buf);
	return 0;
}
