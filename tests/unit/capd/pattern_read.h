/*
 * pattern_read.h -- reading the test pattern back from a decoded JPEG.
 * Header only; shared by the unit tests and the integration probe.
 */
#ifndef CAPD_PATTERN_READ_H
#define CAPD_PATTERN_READ_H

#include <stdint.h>
#include <stdlib.h>
#include <turbojpeg.h>

#include "pattern.h"

struct decoded {
	int width, height;
	unsigned char *rgb;
};

/* Decode a JPEG to RGB; 0 or -1. */
static inline int __attribute__((unused))
decoded_load(const uint8_t *jpeg, size_t len, struct decoded *d)
{
	tjhandle tj = tjInitDecompress();
	int ss, cs, r = -1;

	d->rgb = NULL;
	if (tj == NULL)
		return -1;
	if (tjDecompressHeader3(
		tj, jpeg, len, &d->width, &d->height, &ss, &cs) != 0)
		goto out;
	d->rgb = malloc((size_t)d->width * d->height * 3);
	if (d->rgb == NULL)
		goto out;
	if (tjDecompress2(tj, jpeg, len, d->rgb, d->width, 0, d->height,
		TJPF_RGB, 0) != 0) {
		free(d->rgb);
		d->rgb = NULL;
		goto out;
	}
	r = 0;
out:
	tjDestroy(tj);
	return r;
}

/* Mean colour of the (2r+1)^2 square around (x, y). */
static inline void __attribute__((unused))
decoded_sample(const struct decoded *d, int x, int y, int r, int out[3])
{
	long sum[3] = {0, 0, 0}, n = 0;
	int i, j, c;

	for (j = y - r; j <= y + r; j++)
		for (i = x - r; i <= x + r; i++) {
			if (i < 0 || j < 0 || i >= d->width || j >= d->height)
				continue;
			for (c = 0; c < 3; c++)
				sum[c] +=
				    d->rgb[((size_t)j * d->width + i) * 3 + c];
			n++;
		}
	for (c = 0; c < 3; c++)
		out[c] = n ? (int)(sum[c] / n) : -1;
}

/* Largest channel difference between a bar's centre and its colour. */
static inline int __attribute__((unused))
decoded_bar_error(const struct decoded *d, const struct pattern_layout *l,
    unsigned int bar, int got[3])
{
	uint8_t want[3];
	int c, e, worst = 0;

	pattern_bar_rgb(bar, want);
	decoded_sample(d, (int)pattern_bar_center(l, bar),
	    (int)l->bars_height / 2, 2, got);
	for (c = 0; c < 3; c++) {
		e = abs(got[c] - want[c]);
		if (e > worst)
			worst = e;
	}
	return worst;
}

/* The frame counter from the strip of cells. */
static inline uint32_t __attribute__((unused))
decoded_counter(const struct decoded *d, const struct pattern_layout *l)
{
	uint32_t v = 0;
	unsigned int i;
	int px[3];

	for (i = 0; i < PATTERN_BITS; i++) {
		decoded_sample(d, (int)(l->strip_x + i * l->cell + l->cell / 2),
		    (int)(l->strip_y + l->cell / 2), 0, px);
		v = v << 1 | ((px[0] + px[1] + px[2]) / 3 > 128);
	}
	return v;
}

#endif
