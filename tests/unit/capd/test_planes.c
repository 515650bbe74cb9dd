/*
 * test_planes.c -- YUYV, UYVY and NV12 to Y/Cb/Cr planes, range expansion.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "frame.h"
#include "planes.h"
#include "tap.h"

/* The planes every case splits into, grown as needed, as capd keeps one. */
static struct planes p;

/* A byte. */
static int
clamp255(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

/*
 * BT.709 to BT.601 for a pixel pair, as planes.h documents it, in 10-bit
 * fixed point: Y += 0.1016 Cb + 0.1961 Cr, Cb = 0.9898 Cb - 0.1107 Cr,
 * Cr = -0.0725 Cb + 0.9834 Cr (Cb, Cr centred on 0).
 */
static void
convert_709(int *l0, int *l1, int *cb, int *cr)
{
	int b = *cb - 128, r = *cr - 128;
	int dl = (int)floor((104 * b + 201 * r + 512) / 1024.0);

	*l0 = clamp255(*l0 + dl);
	*l1 = clamp255(*l1 + dl);
	*cb = clamp255(128 + (int)floor((1014 * b - 113 * r + 512) / 1024.0));
	*cr = clamp255(128 + (int)floor((-74 * b + 1007 * r + 512) / 1024.0));
}

/*
 * Split f a band at a time and compare each band with the same rows of the
 * whole-frame split.
 */
static int
bands_match_whole(struct frame *f)
{
	struct planes whole, band;
	unsigned int y0, r, crows;
	int same = 1;

	memset(&whole, 0, sizeof(whole));
	memset(&band, 0, sizeof(band));
	if (planes_from_frame(&whole, f) != 0 ||
	    planes_prepare(&band, f, 0) != 0)
		return 0;
	crows = band.subsamp == PLANES_420 ? band.rows / 2 : band.rows;
	for (y0 = 0; y0 < f->height; y0 += band.rows) {
		planes_split(&band, f, y0);
		for (r = 0; r < band.rows; r++)
			same &= !memcmp(band.y + r * band.y_stride,
			    whole.y + (y0 + r) * whole.y_stride,
			    (size_t)band.y_stride);
		for (r = 0; r < crows; r++) {
			size_t off = (y0 * crows / band.rows + r) *
			    (size_t)whole.c_stride;
			same &= !memcmp(band.cb + r * band.c_stride,
			    whole.cb + off, (size_t)band.c_stride);
			same &= !memcmp(band.cr + r * band.c_stride,
			    whole.cr + off, (size_t)band.c_stride);
		}
	}
	planes_free(&whole);
	planes_free(&band);
	return same;
}

/* The tables that expand limited-range samples to full range. */
static void
test_expand(void)
{
	int ok_all, x;

	is_int(planes_expand_luma(16), 0, "luma 16 is black");
	is_int(planes_expand_luma(235), 255, "luma 235 is white");
	is_int(planes_expand_luma(0), 0, "luma below 16 clamps");
	is_int(planes_expand_luma(255), 255, "luma above 235 clamps");
	is_int(planes_expand_luma(126), 128, "mid grey");
	is_int(planes_expand_chroma(128), 128, "neutral chroma stays");
	ok(planes_expand_chroma(16) <= 1, "chroma 16 is the minimum (0.5)");
	is_int(planes_expand_chroma(240), 255, "chroma 240 is the maximum");
	ok_all = 1;
	for (x = 0; x < 256; x++) {
		double ly = round((x - 16) * 255.0 / 219.0);
		double lc = round(128 + (x - 128) * 255.0 / 224.0);

		ly = ly < 0 ? 0 : ly > 255 ? 255 : ly;
		lc = lc < 0 ? 0 : lc > 255 ? 255 : lc;
		if (planes_expand_luma((uint8_t)x) != ly ||
		    planes_expand_chroma((uint8_t)x) != lc) {
			diag("%d: %d %d, want %g %g", x,
			    planes_expand_luma((uint8_t)x),
			    planes_expand_chroma((uint8_t)x), ly, lc);
			ok_all = 0;
		}
	}
	ok(ok_all, "every value is expanded to the nearest full-range one");
}

/* The vector code against the tables, for YUYV, UYVY and NV12 rows. */
static void
test_vector_matches_tables(void)
{
	struct frame *f;
	int ok_all, x, y;

	/* the vector code and the tables agree: every byte value in every
	 * position of a row wide enough for the vector steps and a tail */
	f = frame_new(1024 * 2 * 3 / 2 + 4 * 1024);
	for (x = 0; x < 4096; x++)
		f->data[x] = (uint8_t)(x * 13 + (x >> 8));
	f->format = FRAME_YUYV;
	f->width = 1022;
	f->height = 2;
	f->stride = 2048;
	f->len = 4096;
	for (y = 0; y < 8; y++) {
		int full = y & 1, yo = y >> 1 & 1, bt709 = y >> 2;

		f->full_range = full;
		f->bt709 = bt709;
		f->format = yo ? FRAME_UYVY : FRAME_YUYV;
		is_int(planes_from_frame(&p, f), 0, "wide %s splits",
		    frame_format_name(f->format));
		ok_all = 1;
		for (x = 0; x < 1022; x += 2) {
			const uint8_t *s = f->data + 2 * x;
			int l0 = full ? s[yo] : planes_expand_luma(s[yo]);
			int l1 =
			    full ? s[yo + 2] : planes_expand_luma(s[yo + 2]);
			int cb =
			    full ? s[1 - yo] : planes_expand_chroma(s[1 - yo]);
			int cr =
			    full ? s[3 - yo] : planes_expand_chroma(s[3 - yo]);

			if (bt709)
				convert_709(&l0, &l1, &cb, &cr);
			if (p.y[x] != l0 || p.y[x + 1] != l1 ||
			    p.cb[x / 2] != cb || p.cr[x / 2] != cr) {
				if (ok_all)
					diag(
					    "pixel %d: %d %d %d %d, want %d %d %d %d",
					    x, p.y[x], p.y[x + 1], p.cb[x / 2],
					    p.cr[x / 2], l0, l1, cb, cr);
				ok_all = 0;
			}
		}
		ok(ok_all, "%s %s range%s: every sample as the tables say",
		    frame_format_name(f->format), full ? "full" : "limited",
		    bt709 ? ", BT.709" : "");
	}
	f->bt709 = 0;
	f->format = FRAME_NV12;
	f->width = 1022;
	f->height = 2;
	f->stride = 1024;
	f->len = 1024 * 3;
	f->full_range = 0;
	is_int(planes_from_frame(&p, f), 0, "wide NV12 splits");
	ok_all = 1;
	for (x = 0; x < 1022; x++) {
		uint8_t c = f->data[2048 + x];
		uint8_t *d = x % 2 ? p.cr : p.cb;

		if (p.y[x] != planes_expand_luma(f->data[x]) ||
		    p.y[p.y_stride + x] !=
			planes_expand_luma(f->data[1024 + x]) ||
		    d[x / 2] != planes_expand_chroma(c))
			ok_all = 0;
	}
	ok(ok_all, "NV12 limited range: every sample as the tables say");
	frame_unref(f);
}

/* YUYV 4x2 on padded lines, full range: bytes easy to follow. */
static struct frame *
yuyv_4x2(void)
{
	struct frame *f = frame_new(64);

	f->format = FRAME_YUYV;
	f->width = 4;
	f->height = 2;
	f->stride = 10; /* padded lines */
	f->full_range = 1;
	memcpy(f->data, "\x01\x02\x03\x04\x05\x06\x07\x08..", 10);
	memcpy(f->data + 10, "\x11\x12\x13\x14\x15\x16\x17\x18", 8);
	f->len = 18;
	return f;
}

/* YUYV and UYVY split into planes: layout, padding, range, refusals. */
static void
test_packed_422(void)
{
	struct frame *f;

	/* YUYV 4x2, full range: the bytes land where they belong */
	f = yuyv_4x2();
	is_int(planes_from_frame(&p, f), 0, "YUYV splits");
	is_int(p.subsamp, PLANES_422, "YUYV is 4:2:2");
	is_int(p.y_stride, 16, "luma rows padded to a whole MCU");
	is_int(p.c_stride, 8, "chroma rows padded to a whole block");
	is_int(p.rows, 8, "the whole frame, padded to a whole MCU row");
	is_mem(
	    p.y, "\x01\x03\x05\x07\x07\x07", 6, "YUYV luma, padding repeats");
	is_mem(p.y + 16, "\x11\x13\x15\x17", 4, "YUYV luma, second row");
	is_mem(p.y + 7 * 16, "\x11\x13\x15\x17\x17", 5,
	    "rows past the bottom repeat the last one");
	is_mem(p.cb, "\x02\x06\x06", 3, "YUYV Cb");
	is_mem(p.cb + 8, "\x12\x16", 2, "YUYV Cb, second row");
	is_mem(p.cr, "\x04\x08\x08", 3, "YUYV Cr");
	is_mem(p.cr + 8, "\x14\x18", 2, "YUYV Cr, second row");

	f->format = FRAME_UYVY;
	is_int(planes_from_frame(&p, f), 0, "UYVY splits");
	is_mem(p.y, "\x02\x04\x06\x08", 4, "UYVY luma");
	is_mem(p.y + 16, "\x12\x14\x16\x18", 4, "UYVY luma, second row");
	is_mem(p.cb, "\x01\x05", 2, "UYVY Cb");
	is_mem(p.cb + 8, "\x11\x15", 2, "UYVY Cb, second row");
	is_mem(p.cr, "\x03\x07", 2, "UYVY Cr");
	is_mem(p.cr + 8, "\x13\x17", 2, "UYVY Cr, second row");

	/* limited range is expanded */
	f->format = FRAME_YUYV;
	f->full_range = 0;
	memcpy(f->data, "\x10\x80\xeb\x80\x10\x10\xeb\xf0", 8);
	is_int(planes_from_frame(&p, f), 0, "limited YUYV splits");
	ok(p.y[0] == 0 && p.y[1] == 255 && p.y[2] == 0 && p.y[3] == 255,
	    "limited luma is expanded to 0-255");
	ok(p.cb[0] == 128 && p.cr[0] == 128 && p.cb[1] <= 1 && p.cr[1] == 255,
	    "limited chroma is expanded");

	f->width = 3;
	is_int(planes_from_frame(&p, f), -EINVAL, "odd width is refused");
	f->width = 4;
	f->len = 10;
	is_int(planes_from_frame(&p, f), -EINVAL, "a short frame is refused");
	frame_unref(f);
}

/* Packed 4:2:2 into 4:2:0 planes: chroma of two rows averaged. */
static void
test_packed_to_420(void)
{
	struct frame *f;

	f = yuyv_4x2();
	is_int(planes_prepare_as(&p, f, 1, PLANES_420), 0, "YUYV as 4:2:0");
	planes_split(&p, f, 0);
	is_int(p.subsamp, PLANES_420, "the planes are 4:2:0");
	is_int(p.rows, 16, "whole MCU rows of 4:2:0");
	is_mem(p.y, "\x01\x03\x05\x07\x07", 5, "luma as in 4:2:2");
	is_mem(p.y + 16, "\x11\x13\x15\x17", 4, "second luma row");
	is_mem(p.y + 15 * 16, "\x11\x13\x15\x17", 4, "last padded row");
	/* (0x02 + 0x12 + 1) / 2 = 0x0a, (0x06 + 0x16 + 1) / 2 = 0x0e */
	is_mem(p.cb, "\x0a\x0e\x0e", 3, "Cb the mean of two rows, padded");
	is_mem(p.cr, "\x0c\x10\x10", 3, "Cr the mean of two rows, padded");
	is_mem(p.cb + 7 * 8, "\x12\x16", 2, "chroma past the bottom repeats");
	f->format = FRAME_UYVY;
	is_int(planes_prepare_as(&p, f, 0, PLANES_420), 0, "UYVY bands");
	planes_split(&p, f, 0);
	/* UYVY reads Cb 0x01 0x05 0x11 0x15: means 0x09 0x0d */
	is_mem(p.cb, "\x09\x0d", 2, "UYVY Cb averaged");
	is_mem(p.y, "\x02\x04\x06\x08", 4, "UYVY luma");
	is_int(planes_prepare_as(&p, f, 0, PLANES_422), 0, "asked 4:2:2");
	is_int(p.subsamp, PLANES_422, "stays 4:2:2");
	frame_unref(f);
}

/* NV12 split into planes, without the line padding. */
static void
test_nv12(void)
{
	struct frame *f;
	int ok_all, x, y;

	/* NV12 6x4 with stride 8 */
	f = frame_new(256);
	f->format = FRAME_NV12;
	f->width = 6;
	f->height = 4;
	f->stride = 8;
	f->full_range = 1;
	for (y = 0; y < 4; y++)
		for (x = 0; x < 8; x++)
			f->data[y * 8 + x] = (uint8_t)(y * 16 + x);
	for (y = 0; y < 2; y++)
		for (x = 0; x < 8; x++)
			f->data[32 + y * 8 + x] = (uint8_t)(100 + y * 16 + x);
	f->len = 48;
	is_int(planes_from_frame(&p, f), 0, "NV12 splits");
	is_int(p.subsamp, PLANES_420, "NV12 is 4:2:0");
	is_int(p.rows, 16, "4:2:0 MCU rows are 16 lines");
	ok_all = 1;
	for (y = 0; y < 4; y++)
		for (x = 0; x < 6; x++)
			if (p.y[y * p.y_stride + x] != y * 16 + x)
				ok_all = 0;
	ok(ok_all, "NV12 luma copied without the line padding");
	is_mem(p.cb, "\x64\x66\x68", 3, "NV12 Cb");
	is_mem(p.cb + p.c_stride, "\x74\x76\x78", 3, "NV12 Cb, second row");
	is_mem(p.cr, "\x65\x67\x69", 3, "NV12 Cr");
	is_mem(p.cr + p.c_stride, "\x75\x77\x79", 3, "NV12 Cr, second row");
	f->format = FRAME_RGB24;
	is_int(planes_from_frame(&p, f), -EINVAL, "RGB is not split");
	frame_unref(f);
}

/* A band at a time gives the same planes as the whole frame. */
static void
test_bands(void)
{
	struct frame *f;
	int x;

	/* a band at a time gives the same planes as the whole frame, for
	 * every format and conversion; 38x21 (38x22 for NV12) leaves partial
	 * MCUs at the right and the bottom */
	f = frame_new(64 * 40 * 2);
	for (x = 0; x < 64 * 40 * 2; x++)
		f->data[x] = (uint8_t)(x * 7919 >> 3);
	f->width = 38;
	f->height = 21;
	f->stride = 80;
	f->len = 80 * 21;
	f->format = FRAME_YUYV;
	ok(bands_match_whole(f), "YUYV limited range: bands match");
	f->format = FRAME_UYVY;
	f->bt709 = 1;
	ok(bands_match_whole(f), "UYVY BT.709: bands match");
	f->full_range = 1;
	ok(bands_match_whole(f), "UYVY BT.709 full range: bands match");
	f->format = FRAME_NV12;
	f->height = 22;
	f->stride = 40;
	f->len = 40 * 33;
	ok(bands_match_whole(f), "NV12 BT.709: bands match");
	f->bt709 = 0;
	f->full_range = 0;
	ok(bands_match_whole(f), "NV12 limited range: bands match");
	f->height = 21;
	is_int(
	    planes_prepare(&p, f, 0), -EINVAL, "NV12 of odd height is refused");
	frame_unref(f);
}

int
main(void)
{
	memset(&p, 0, sizeof(p));
	test_expand();
	test_vector_matches_tables();
	test_packed_422();
	test_nv12();
	test_packed_to_420();
	test_bands();
	planes_free(&p);
	planes_free(NULL);
	return tap_done();
}
