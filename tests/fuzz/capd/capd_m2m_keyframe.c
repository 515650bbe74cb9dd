/*
 * capd_m2m_keyframe.c -- fuzz target: m2m.c's keyframe reading of the coded
 * buffers a memory-to-memory encoder returns (H.264 and FWHT).  The buffer
 * is copied to exactly its length so a read past it is caught; the FWHT
 * answer must agree with a plain reading of the header.
 */
#include <linux/videodev2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "m2m.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t *p = calloc(1, len ? len : 1);
	int h264, fwht, want;

	if (!p)
		abort();
	if (len)
		memcpy(p, data, len);
	h264 = m2m_coded_keyframe(V4L2_PIX_FMT_H264, p, len);
	fwht = m2m_coded_keyframe(V4L2_PIX_FMT_FWHT, p, len);
	want = len >= 24 && memcmp(p, "OOOO", 4) == 0 && p[4] == 0xff &&
	    p[5] == 0xff && p[6] == 0xff && p[7] == 0xff &&
	    (((uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 |
		 (uint32_t)p[22] << 8 | p[23]) &
		(1u << 10));
	if ((h264 != 0 && h264 != 1) || fwht != want)
		abort();
	free(p);
	return 0;
}
