/*
 * capd_jpeg.c -- fuzz target: capd's MJPEG frame checker and Huffman-table
 * inserter with arbitrary device frames.  A frame that passes must come out
 * of jpeg_fix() passing again, with tables, no longer than announced.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jpeg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct jpeg_info info, again;
	uint8_t *out;
	size_t n, want;

	if (jpeg_check(data, len, &info) < 0)
		return 0;
	if (info.len > len || info.sos >= info.len)
		abort();
	want = jpeg_fixed_size(&info);
	out = malloc(want);
	if (out == NULL)
		abort();
	n = jpeg_fix(data, &info, out);
	if (n != want)
		abort();
	if (jpeg_check(out, n, &again) < 0 || !again.has_dht ||
	    again.len != n || again.width != info.width ||
	    again.height != info.height)
		abort();
	free(out);
	return 0;
}
