/*
 * capd_annexb.c -- fuzz target: capd's Annex-B scanner and H.264 message
 * header parser with arbitrary bytes.  Every NAL unit found lies inside the
 * input and the scan agrees with a walk by annexb_next(); a header that
 * parses packs back to the same first 20 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "annexb.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Walk the NAL units; abort on one outside the input. */
static unsigned int
walk(const uint8_t *data, size_t len)
{
	struct annexb_nal n;
	size_t pos = 0, last = 0;
	unsigned int count = 0;

	while (annexb_next(data, len, &pos, &n)) {
		if (n.data < data || n.len == 0 ||
		    n.data + n.len > data + len || pos > len || pos < last ||
		    n.type != (n.data[0] & 0x1fu))
			abort();
		last = pos;
		count++;
	}
	return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct annexb_info info;
	struct annexb_msg m;
	uint8_t again[ANNEXB_MSG_HEADER];
	char codec[12];
	unsigned int count = walk(data, len);
	size_t off;

	if (annexb_scan(data, len, &info) == 0) {
		if (info.nals != count ||
		    (annexb_codec(&info, codec) == 0) != info.has_sps)
			abort();
	} else if (count != 0)
		abort();
	if (annexb_msg_parse(data, len, &m, &off) == 0) {
		if (off < ANNEXB_MSG_HEADER || off > len)
			abort();
		annexb_msg_pack(&m, again);
		if (memcmp(again, data, 2) || memcmp(again + 4, data + 4, 16))
			abort();
	}
	return 0;
}
