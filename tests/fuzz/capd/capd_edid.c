/*
 * capd_edid.c -- fuzz target: capd's EDID checker and decoder with
 * arbitrary bytes, as POST /edid and --edid FILE take them; the same bytes
 * as POST /edid's hex text, which decodes only to a checked EDID that
 * edid_to_hex() writes back as the same digits.  An EDID that
 * passes has its announced blocks, at least one sane mode, printable
 * names, and an HDMI physical address (if any) inside an extension.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edid.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether s is a terminated printable string of at most 13 bytes. */
static int
printable(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return i < size && i <= 13;
}

/* The bytes as POST /edid's "hex". */
static void
from_hex(const uint8_t *data, size_t len)
{
	uint8_t out[EDID_MAX_BLOCKS * EDID_BLOCK];
	char text[2 * sizeof(out) + 1], back[2 * sizeof(out) + 1];
	struct edid_info e;
	size_t i;
	int n;

	if (len >= sizeof(text))
		return;
	memcpy(text, data, len);
	text[len] = '\0';
	/* the text ends at its first NUL, as a C string's does */
	len = strlen(text);
	if ((n = edid_from_hex(text, out)) < 0)
		return;
	if ((size_t)n * 2 != len || edid_parse(out, (size_t)n, &e) < 0)
		abort();
	edid_to_hex(out, (size_t)n, back);
	for (i = 0; i < len; i++)
		if (back[i] !=
		    (text[i] >= 'A' && text[i] <= 'F' ? text[i] + 32 : text[i]))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct edid_info e;
	unsigned int i;
	size_t pa;

	from_hex(data, len);
	if (edid_parse(data, len, &e) < 0)
		return 0;
	if (e.blocks < 1 || e.blocks > EDID_MAX_BLOCKS ||
	    len != e.blocks * EDID_BLOCK || data[126] + 1u != e.blocks)
		abort();
	if (e.n_modes == 0 || e.n_modes > EDID_MAX_MODES)
		abort();
	for (i = 0; i < e.n_modes; i++)
		if (e.modes[i].width == 0 || e.modes[i].height == 0 ||
		    e.modes[i].hz == 0)
			abort();
	if (!printable(e.name, sizeof(e.name)) ||
	    !printable(e.serial_text, sizeof(e.serial_text)) ||
	    !printable(e.vendor, sizeof(e.vendor)))
		abort();
	pa = edid_phys_addr_offset(data, len);
	if (pa != 0 && (pa < EDID_BLOCK || pa + 2 > len))
		abort();
	if (!edid_same(data, len, data, len))
		abort();
	return 0;
}
