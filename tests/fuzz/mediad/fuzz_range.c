/*
 * fuzz_range.c -- the Range header parser: any header, any image size; a
 * range it accepts lies inside the image.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t isize = 0, start, len;
	char *hdr;
	int r;

	/* The first 8 bytes give the image size, the rest the header. */
	if (size >= 8) {
		memcpy(&isize, data, 8);
		data += 8;
		size -= 8;
	}
	if ((hdr = malloc(size + 1)) == NULL)
		abort();
	memcpy(hdr, data, size);
	hdr[size] = '\0';
	r = range_parse(hdr, isize, &start, &len);
	if (r == 0 && (len == 0 || start >= isize || len > isize - start))
		abort();
	if (r != 0 && r != 1 && r != -ERANGE)
		abort();
	free(hdr);
	return 0;
}
