/*
 * test_image.c -- a frame decoded to grayscale and cut to a region: the
 * region's rules (zero size, outside the picture: -EINVAL), bytes that are
 * not a JPEG, and the pixels of a known picture encoded here (a stand-in
 * for capd's snapshot: four flat quadrants, so JPEG loses nothing worth
 * counting inside them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "error.h"
#include "image.h"
#include "tap.h"

#define W 64
#define H 48

struct region_case {
	struct image_region r;
	int want;
	const char *what;
};

static const struct region_case region_cases[] = {
    {{0, 0, W, H}, 0, "the whole frame"},
    {{W - 1, H - 1, 1, 1}, 0, "the last pixel"},
    {{10, 10, 5, 5}, 0, "inside"},
    {{0, 0, 0, 5}, -EINVAL, "zero width"},
    {{0, 0, 5, 0}, -EINVAL, "zero height"},
    {{W, 0, 1, 1}, -EINVAL, "x at the right edge"},
    {{0, H, 1, 1}, -EINVAL, "y at the bottom edge"},
    {{1, 0, W, 1}, -EINVAL, "one column too wide"},
    {{0, 1, 1, H}, -EINVAL, "one row too high"},
    {{10, 0, 0xffffffffu, 1}, -EINVAL, "width that wraps"},
    {{0xffffffffu, 0xffffffffu, 2, 2}, -EINVAL, "corner far outside"},
};

/* The known picture: quadrants of 20, 80, 160 and 240. */
static uint8_t
quadrant(unsigned int x, unsigned int y)
{
	return (uint8_t)(x < W / 2 ? (y < H / 2 ? 20 : 160)
				   : (y < H / 2 ? 80 : 240));
}

static unsigned char *
known_jpeg(unsigned long *ret_len)
{
	static uint8_t gray[W * H];
	unsigned char *jpeg = NULL;
	tjhandle tj = tjInitCompress();
	unsigned int x, y;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			gray[y * W + x] = quadrant(x, y);
	*ret_len = 0;
	if (tjCompress2(tj, gray, W, W, H, TJPF_GRAY, &jpeg, ret_len,
		TJSAMP_GRAY, 95, 0) < 0)
		jpeg = NULL;
	tjDestroy(tj);
	return jpeg;
}

static void
test_regions(void)
{
	size_t i;

	for (i = 0; i < sizeof(region_cases) / sizeof(region_cases[0]); i++) {
		const struct region_case *c = &region_cases[i];

		error_clear();
		is_int(image_region_check(&c->r, W, H), c->want, "region: %s",
		    c->what);
		if (c->want < 0 && c->r.w != 0 && c->r.h != 0)
			ok(error_get() != NULL &&
				strstr(error_get(), "64x48 frame") != NULL,
			    "region: %s: the message names the frame (%s)",
			    c->what, error_get() ? error_get() : "none");
		else if (c->want < 0)
			ok(error_get() != NULL &&
				strstr(error_get(), "at least one") != NULL,
			    "region: %s: the message says what to select (%s)",
			    c->what, error_get() ? error_get() : "none");
	}
}

/* Every pixel of the crop within a small JPEG error of the picture's. */
static int
crop_matches(const struct image_gray *g, const struct image_region *r)
{
	unsigned int x, y;

	for (y = 0; y < g->h; y++)
		for (x = 0; x < g->w; x++) {
			int d = g->pixels[y * g->w + x] -
			    quadrant(r->x + x, r->y + y);

			if (d > 6 || d < -6)
				return 0;
		}
	return 1;
}

static void
test_crop(void)
{
	unsigned long len;
	unsigned char *jpeg = known_jpeg(&len);
	struct image_region r = {W / 2 + 4, 4, 20, H - 8};
	struct image_region outside = {W - 4, 0, 8, 8};
	struct image_gray g = {0, 0, NULL};

	ok(jpeg != NULL, "the known picture encodes");
	is_int(image_crop_jpeg(jpeg, len, &r, &g), 0, "crop inside");
	is_int(g.w, 20, "crop width");
	is_int(g.h, H - 8, "crop height");
	ok(g.pixels != NULL && crop_matches(&g, &r),
	    "crop pixels are the picture's right half, both rows of quadrants");
	image_gray_free(&g);
	ok(g.pixels == NULL, "freed");
	is_int(image_crop_jpeg(jpeg, len, &outside, &g), -EINVAL,
	    "crop past the right edge");
	ok(g.pixels == NULL, "nothing handed back on failure");
	is_int(image_crop_jpeg(jpeg, len - 2, &r, &g), 0,
	    "a JPEG without its end marker still decodes (libturbojpeg warns)");
	image_gray_free(&g);
	is_int(image_crop_jpeg("not a jpeg", 10, &r, &g), -EBADMSG,
	    "bytes that are not a JPEG");
	is_int(image_crop_jpeg(jpeg, 0, &r, &g), -EBADMSG, "no bytes");
	image_gray_free(NULL);
	tjFree(jpeg);
}

/* image_prepare(): light text on dark comes out dark on light, a line of
 * small glyphs twice as big, a light margin around. */
static void
test_prepare(void)
{
	uint8_t px[20 * 10], tall[20 * 20];
	struct image_gray in = {20, 10, px}, big = {20, 20, tall}, out = {0};
	unsigned int y;

	memset(px, 16, sizeof(px));
	px[5 * 20 + 3] = 235; /* one light pixel: the ink, one row high */
	image_prepare(&in, &out);
	is_int(
	    (int)out.w, 2 * 20 + 4 * IMAGE_MARGIN, "small ink: twice as wide");
	is_int((int)out.h, 2 * 10 + 4 * IMAGE_MARGIN, "and twice as high");
	is_int(out.pixels[0], 255, "the margin is light");
	is_int(
	    out.pixels[(2 * IMAGE_MARGIN + 10) * out.w + 2 * IMAGE_MARGIN + 6],
	    255 - 235, "the light ink is dark now");
	is_int(out.pixels[(2 * IMAGE_MARGIN) * out.w + 2 * IMAGE_MARGIN],
	    255 - 16, "the dark ground light");
	image_gray_free(&out);
	/* dark ink 16 rows high on light: a glyph big enough already */
	memset(tall, 255, sizeof(tall));
	for (y = 2; y < 18; y++)
		tall[y * 20 + 9] = 0;
	image_prepare(&big, &out);
	is_int((int)out.w, 20 + 2 * IMAGE_MARGIN, "big ink: not scaled");
	is_int(out.pixels[(IMAGE_MARGIN + 2) * out.w + IMAGE_MARGIN + 9], 0,
	    "dark on light: not inverted");
	image_gray_free(&out);
}

int
main(void)
{
	test_regions();
	test_crop();
	test_prepare();
	return tap_done();
}
