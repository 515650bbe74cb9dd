/*
 * image.c -- a JPEG decoded to grayscale and cut to a region (image.h).
 * The whole frame is decoded (libturbojpeg has no cheap region decode for
 * arbitrary rectangles in 2.1) and the rows of the region copied out; a
 * 1920x1080 frame is 2 MB of gray for the moment it takes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "error.h"
#include "image.h"
#include "xmalloc.h"

int
image_region_check(
    const struct image_region *r, unsigned int width, unsigned int height)
{
	if (r->w == 0 || r->h == 0)
		return error_set(-EINVAL,
		    "the region is %ux%u pixels: select a region at least one pixel wide and high, inside the %ux%u frame",
		    r->w, r->h, width, height);
	if (r->x >= width || r->y >= height || r->w > width - r->x ||
	    r->h > height - r->y)
		return error_set(-EINVAL,
		    "the region %ux%u at (%u, %u) is not inside the %ux%u frame: select a region on the picture",
		    r->w, r->h, r->x, r->y, width, height);
	return 0;
}

/* The frame's size from its header: 0, -EBADMSG or -E2BIG. */
static int
image_header(tjhandle tj, const void *jpeg, size_t len, int *ret_w, int *ret_h)
{
	int w, h, sub, cs;

	if (len == 0 || len > (size_t)(unsigned long)-1 ||
	    tjDecompressHeader3(
		tj, jpeg, (unsigned long)len, &w, &h, &sub, &cs) < 0)
		return error_set(-EBADMSG,
		    "the frame from capd is not a JPEG that can be decoded: check capd's GET /snapshot");
	if (w <= 0 || h <= 0 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE)
		return error_set(-E2BIG,
		    "the frame is %dx%d pixels, more than %d a side: lower capd's resolution",
		    w, h, IMAGE_MAX_SIDE);
	*ret_w = w;
	*ret_h = h;
	return 0;
}

int
image_crop_jpeg(const void *jpeg, size_t len, const struct image_region *region,
    struct image_gray *ret)
{
	tjhandle tj;
	uint8_t *whole = NULL, *out;
	int w = 0, h = 0, r;
	unsigned int row;

	if ((tj = tjInitDecompress()) == NULL)
		xmalloc_fatal("libturbojpeg decompressor");
	if ((r = image_header(tj, jpeg, len, &w, &h)) < 0)
		goto out;
	if ((r = image_region_check(region, (unsigned int)w, (unsigned int)h)) <
	    0)
		goto out;
	whole = xmalloc((size_t)w * (size_t)h);
	if (tjDecompress2(tj, jpeg, (unsigned long)len, whole, w, w, h,
		TJPF_GRAY, TJFLAG_ACCURATEDCT) < 0 &&
	    tjGetErrorCode(tj) == TJERR_FATAL) {
		r = error_set(-EBADMSG,
		    "the frame from capd could not be decoded (%s): check capd's GET /snapshot",
		    tjGetErrorStr2(tj));
		goto out;
	}
	out = xmalloc((size_t)region->w * region->h);
	for (row = 0; row < region->h; row++)
		memcpy(out + (size_t)row * region->w,
		    whole + ((size_t)region->y + row) * (size_t)w + region->x,
		    region->w);
	ret->w = region->w;
	ret->h = region->h;
	ret->pixels = out;
	r = 0;
out:
	free(whole);
	tjDestroy(tj);
	return r;
}

void
image_gray_free(struct image_gray *g)
{
	if (g == NULL)
		return;
	free(g->pixels);
	g->pixels = NULL;
	g->w = g->h = 0;
}

/* The region's mean grey level: below the middle, light text on dark. */
static int
image_is_dark(const struct image_gray *g)
{
	unsigned long long sum = 0;
	size_t i, n = (size_t)g->w * g->h;

	for (i = 0; i < n; i++)
		sum += g->pixels[i];
	return n > 0 && sum / n < 128;
}

/* Rows from the first to the last with ink (a pixel on the text's side of
 * the middle): a line's glyph height. */
static unsigned int
image_ink_rows(const struct image_gray *g, uint8_t inv)
{
	unsigned int x, y, first = g->h, last = 0;

	for (y = 0; y < g->h; y++)
		for (x = 0; x < g->w; x++)
			if ((g->pixels[(size_t)y * g->w + x] ^ inv) < 128) {
				if (first == g->h)
					first = y;
				last = y;
				break;
			}
	return first == g->h ? 0 : last - first + 1;
}

void
image_prepare(const struct image_gray *in, struct image_gray *ret)
{
	uint8_t inv = image_is_dark(in) ? 255 : 0, bg = 255;
	unsigned int ink = image_ink_rows(in, inv);
	unsigned int s = ink > 0 && ink < IMAGE_SMALL_TEXT ? 2 : 1;
	unsigned int m = IMAGE_MARGIN * s, x, y;

	ret->w = in->w * s + 2 * m;
	ret->h = in->h * s + 2 * m;
	ret->pixels = xmalloc((size_t)ret->w * ret->h);
	memset(ret->pixels, bg, (size_t)ret->w * ret->h);
	for (y = 0; y < in->h * s; y++)
		for (x = 0; x < in->w * s; x++)
			ret->pixels[(size_t)(y + m) * ret->w + x + m] =
			    in->pixels[(size_t)(y / s) * in->w + x / s] ^ inv;
}
