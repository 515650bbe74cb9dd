/*
 * image.h -- the part of a frame that ocrd reads: a JPEG (capd's
 * GET /snapshot) decoded to grayscale with libturbojpeg and cut to the
 * region a person selected.  Pure: no I/O, no event loop; callable from
 * any thread.
 */
#ifndef OCRD_IMAGE_H
#define OCRD_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* The largest frame ocrd decodes (pixels a side): a bound on memory for a
 * JPEG whose header a hostile target's picture cannot choose, but capd
 * could be misconfigured to send. */
#define IMAGE_MAX_SIDE 8192

/* A rectangle in frame pixels, top-left corner at (x, y). */
struct image_region {
	unsigned int x, y, w, h;
};

/* A grayscale picture, one byte a pixel, rows w bytes apart. */
struct image_gray {
	unsigned int w, h;
	uint8_t *pixels;
};

/* 0 when region lies inside a frame of width x height and is not empty;
 * else -EINVAL with a message (error_set()) naming the frame's size. */
int image_region_check(
    const struct image_region *, unsigned int width, unsigned int height);

/* Decodes jpeg (len bytes) to grayscale and cuts region out of it: 0 and
 * *ret (its pixels the caller's, image_gray_free()), or -EINVAL for a
 * region outside the frame or zero in size, -EBADMSG for bytes that are
 * not a JPEG this can decode, -E2BIG for a frame over IMAGE_MAX_SIDE. */
int image_crop_jpeg(const void *jpeg, size_t len,
    const struct image_region *region, struct image_gray *ret);

/* A region whose ink (the rows from the first to the last with text in
 * them) is less high than this, one line of a small font, is scaled up
 * twice: Tesseract misreads capd's 5x7 glyphs at 7 pixels and reads them
 * at 14; scaled further the blocky glyphs read worse again (N as MH),
 * measured on ocrd-test-frame's lines.  A region of several lines is
 * read as it is. */
#define IMAGE_SMALL_TEXT 12
/* Blank pixels added around the region (before scaling). */
#define IMAGE_MARGIN 8

/* The cut region made ready for Tesseract, which reads dark text on a
 * light page with a margin best: inverted when it is mostly dark (a
 * console's light text), scaled up when small (nearest neighbour), a
 * light margin around it.
 * *ret is new (image_gray_free()); out of memory ends the process. */
void image_prepare(const struct image_gray *, struct image_gray *ret);

/* Frees what image_crop_jpeg() gave; NULL and an empty picture are fine. */
void image_gray_free(struct image_gray *);

#endif
