/*
 * planes.c -- splitting packed and semi-planar YUV into planes.
 *
 * One pass over the source; range expansion through two 256-byte tables
 * built once, which costs the same as a plain copy.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "frame.h"
#include "planes.h"
#include "xmalloc.h"

static uint8_t lut_y[256], lut_c[256], lut_id[256];
static pthread_once_t lut_once = PTHREAD_ONCE_INIT;

/* Clamp to a byte. */
static uint8_t
clamp8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* Build the range-expansion tables (rounded, clamped). */
static void
planes_init_luts(void)
{
	int i;

	for (i = 0; i < 256; i++) {
		lut_y[i] = clamp8((int)lround((i - 16) * 255.0 / 219.0));
		lut_c[i] = clamp8((int)lround(128 + (i - 128) * 255.0 / 224.0));
		lut_id[i] = (uint8_t)i;
	}
}

/* Limited-range luma to full range. */
uint8_t
planes_expand_luma(uint8_t v)
{
	pthread_once(&lut_once, planes_init_luts);
	return lut_y[v];
}

/* Limited-range chroma to full range. */
uint8_t
planes_expand_chroma(uint8_t v)
{
	pthread_once(&lut_once, planes_init_luts);
	return lut_c[v];
}

/* Lay out the three planes in p's buffer for w x h at subsampling ss. */
static void
planes_layout(struct planes *p, unsigned int w, unsigned int h, int ss)
{
	size_t ysize, csize, need;
	int cw = (int)(w + 1) / 2;
	int ch = ss == TJSAMP_420 ? (int)(h + 1) / 2 : (int)h;

	ysize = (size_t)w * h;
	csize = (size_t)cw * ch;
	need = ysize + 2 * csize;
	if (p->mem_size < need) {
		free(p->mem);
		p->mem = xmalloc(need);
		p->mem_size = need;
	}
	p->y = p->mem;
	p->cb = p->mem + ysize;
	p->cr = p->cb + csize;
	p->y_stride = (int)w;
	p->c_stride = cw;
	p->width = w;
	p->height = h;
	p->subsamp = ss;
}

/* Packed 4:2:2; yo is the offset of the first Y byte (0 YUYV, 1 UYVY). */
static void
planes_packed(struct planes *p, const struct frame *f, int yo,
    const uint8_t *ly, const uint8_t *lc)
{
	unsigned int x, y, w = f->width, h = f->height;
	int co = 1 - yo;
	const uint8_t *s;
	uint8_t *dy, *du, *dv;

	for (y = 0; y < h; y++) {
		s = f->data + (size_t)y * f->stride;
		dy = p->y + (size_t)y * p->y_stride;
		du = p->cb + (size_t)y * p->c_stride;
		dv = p->cr + (size_t)y * p->c_stride;
		for (x = 0; x < w; x += 2, s += 4) {
			*dy++ = ly[s[yo]];
			*dy++ = ly[s[yo + 2]];
			*du++ = lc[s[co]];
			*dv++ = lc[s[co + 2]];
		}
	}
}

/* Clamp an int to a byte. */
static inline uint8_t
byte(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/*
 * Packed 4:2:2 with the BT.709 matrix (HD sources) into BT.601 planes, the
 * matrix JPEG decoders assume.  Through RGB, in 10-bit fixed point:
 *   Y601 = Y + 0.1016 Cb + 0.1961 Cr
 *   Cb601 = 0.9898 Cb - 0.1107 Cr,  Cr601 = -0.0725 Cb + 0.9834 Cr
 */
static void
planes_packed_709(struct planes *p, const struct frame *f, int yo,
    const uint8_t *ly, const uint8_t *lc)
{
	unsigned int x, y, w = f->width, h = f->height;
	int co = 1 - yo, cb, cr, dl;
	const uint8_t *s;
	uint8_t *dy, *du, *dv;

	for (y = 0; y < h; y++) {
		s = f->data + (size_t)y * f->stride;
		dy = p->y + (size_t)y * p->y_stride;
		du = p->cb + (size_t)y * p->c_stride;
		dv = p->cr + (size_t)y * p->c_stride;
		for (x = 0; x < w; x += 2, s += 4) {
			cb = lc[s[co]] - 128;
			cr = lc[s[co + 2]] - 128;
			dl = (104 * cb + 201 * cr + 512) >> 10;
			*dy++ = byte(ly[s[yo]] + dl);
			*dy++ = byte(ly[s[yo + 2]] + dl);
			*du++ =
			    byte(128 + ((1014 * cb - 113 * cr + 512) >> 10));
			*dv++ =
			    byte(128 + ((-74 * cb + 1007 * cr + 512) >> 10));
		}
	}
}

/* NV12's Y plane, range-expanded. */
static void
planes_nv12_luma(struct planes *p, const struct frame *f, const uint8_t *ly)
{
	unsigned int x, y, w = f->width, h = f->height;
	const uint8_t *s;
	uint8_t *d;

	for (y = 0; y < h; y++) {
		s = f->data + (size_t)y * f->stride;
		d = p->y + (size_t)y * p->y_stride;
		if (ly == lut_id)
			memcpy(d, s, w);
		else
			for (x = 0; x < w; x++)
				d[x] = ly[s[x]];
	}
}

/* NV12: a Y plane, then one plane of interleaved Cb Cr at half height. */
static void
planes_nv12(struct planes *p, const struct frame *f, const uint8_t *ly,
    const uint8_t *lc)
{
	unsigned int x, y, w = f->width, h = f->height;
	const uint8_t *s, *uv = f->data + (size_t)f->stride * h;
	uint8_t *du, *dv;

	planes_nv12_luma(p, f, ly);
	for (y = 0; y < (h + 1) / 2; y++) {
		s = uv + (size_t)y * f->stride;
		du = p->cb + (size_t)y * p->c_stride;
		dv = p->cr + (size_t)y * p->c_stride;
		for (x = 0; x < w; x += 2, s += 2) {
			*du++ = lc[s[0]];
			*dv++ = lc[s[1]];
		}
	}
}

/*
 * NV12 with the BT.709 matrix into BT.601 planes: as planes_packed_709(),
 * each chroma sample's luma correction going to the 2x2 pixels it covers.
 */
static void
planes_nv12_709(struct planes *p, const struct frame *f, const uint8_t *ly,
    const uint8_t *lc)
{
	unsigned int x, y, w = f->width, h = f->height;
	const uint8_t *s, *uv = f->data + (size_t)f->stride * h;
	uint8_t *d0, *d1, *du, *dv;
	int cb, cr, dl;

	planes_nv12_luma(p, f, ly);
	for (y = 0; y < h / 2; y++) {
		s = uv + (size_t)y * f->stride;
		d0 = p->y + (size_t)(2 * y) * p->y_stride;
		d1 = d0 + p->y_stride;
		du = p->cb + (size_t)y * p->c_stride;
		dv = p->cr + (size_t)y * p->c_stride;
		for (x = 0; x < w / 2; x++, s += 2) {
			cb = lc[s[0]] - 128;
			cr = lc[s[1]] - 128;
			dl = (104 * cb + 201 * cr + 512) >> 10;
			d0[2 * x] = byte(d0[2 * x] + dl);
			d0[2 * x + 1] = byte(d0[2 * x + 1] + dl);
			d1[2 * x] = byte(d1[2 * x] + dl);
			d1[2 * x + 1] = byte(d1[2 * x + 1] + dl);
			du[x] =
			    byte(128 + ((1014 * cb - 113 * cr + 512) >> 10));
			dv[x] =
			    byte(128 + ((-74 * cb + 1007 * cr + 512) >> 10));
		}
	}
}

/* Split f into p. */
int
planes_from_frame(struct planes *p, const struct frame *f)
{
	const uint8_t *ly, *lc;

	pthread_once(&lut_once, planes_init_luts);
	if (f->width == 0 || f->height == 0 || f->width % 2 != 0)
		return -EINVAL;
	ly = f->full_range ? lut_id : lut_y;
	lc = f->full_range ? lut_id : lut_c;
	switch (f->format) {
	case FRAME_YUYV:
	case FRAME_UYVY:
		if (f->stride < f->width * 2 ||
		    f->len < (size_t)f->stride * (f->height - 1) + f->width * 2)
			return -EINVAL;
		planes_layout(p, f->width, f->height, TJSAMP_422);
		if (f->bt709)
			planes_packed_709(
			    p, f, f->format == FRAME_YUYV ? 0 : 1, ly, lc);
		else
			planes_packed(
			    p, f, f->format == FRAME_YUYV ? 0 : 1, ly, lc);
		return 0;
	case FRAME_NV12:
		if (f->height % 2 != 0 || f->stride < f->width ||
		    f->len < (size_t)f->stride * f->height * 3 / 2)
			return -EINVAL;
		planes_layout(p, f->width, f->height, TJSAMP_420);
		if (f->bt709)
			planes_nv12_709(p, f, ly, lc);
		else
			planes_nv12(p, f, ly, lc);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Release the planes' buffer. */
void
planes_free(struct planes *p)
{
	if (p == NULL)
		return;
	free(p->mem);
	memset(p, 0, sizeof(*p));
}
