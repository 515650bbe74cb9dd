/*
 * pattern_frame.h -- a YUYV test-pattern frame, like capd's pattern source.
 * Header only; shared by the H.264 unit tests.
 */
#ifndef CAPD_PATTERN_FRAME_H
#define CAPD_PATTERN_FRAME_H

#include <stdint.h>

#include "frame.h"
#include "pattern.h"

/* Frame n of p, with capture timestamps 1/30 s apart. */
static inline struct frame *__attribute__((unused))
pattern_frame(struct pattern *p, uint64_t n)
{
	const struct pattern_layout *l = pattern_layout(p);
	struct frame *f =
	    frame_new(frame_raw_size(FRAME_YUYV, l->width, l->height));

	f->format = FRAME_YUYV;
	f->width = l->width;
	f->height = l->height;
	f->stride = l->width * 2;
	f->len = frame_raw_size(FRAME_YUYV, l->width, l->height);
	f->seq = n;
	f->mono_us = (int64_t)n * 33333;
	f->ts_us = 1700000000000000 + f->mono_us;
	pattern_render(p, n, f->ts_us, f->data, f->stride);
	return f;
}

#endif
