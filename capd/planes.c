/*
 * planes.c -- splitting packed and semi-planar YUV into planes.
 *
 * One pass over the source, 32 pixels a step with SSE2 (every x86-64) or
 * NEON (ARM boards), the rest through 256-byte tables of the same
 * expansion.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "planes.h"
#include "xmalloc.h"

/*
 * Range expansion, limited to full: v' = clamp((((v << 8) * k >> 16) - d)
 * >> 6), the form a 16-bit SIMD lane computes with one unsigned high-half
 * multiply.  These constants give exactly round((v - 16) * 255 / 219) for
 * luma and round(128 + (v - 128) * 255 / 224) for chroma (the unit test
 * checks every value); k 16384, d 0 is the identity.
 */
struct expand {
	uint16_t ky, dy, kc, dc;
};

static const struct expand expand_limited = {19077, 1160, 18650, 1101};
static const struct expand expand_full = {16384, 0, 16384, 0};

static uint8_t lut_y[256], lut_c[256], lut_id[256];
static pthread_once_t lut_once = PTHREAD_ONCE_INIT;

/* One value through the expansion. */
static uint8_t
expand1(unsigned int v, unsigned int k, unsigned int d)
{
	unsigned int t = (v << 8) * k >> 16;

	if (t < d)
		return 0;
	t = (t - d) >> 6;
	return t > 255 ? 255 : (uint8_t)t;
}

/* Tables of the expansion, for the scalar code. */
static void
planes_init_luts(void)
{
	unsigned int i;

	for (i = 0; i < 256; i++) {
		lut_y[i] = expand1(i, expand_limited.ky, expand_limited.dy);
		lut_c[i] = expand1(i, expand_limited.kc, expand_limited.dc);
		lut_id[i] = expand1(i, expand_full.ky, expand_full.dy);
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

#if defined(__SSE2__)
#include <emmintrin.h>

/* The expansion on 16-bit lanes holding v << 8; signed results. */
static inline __m128i
expand_sse2(__m128i v8, __m128i k, __m128i d)
{
	return _mm_srai_epi16(_mm_sub_epi16(_mm_mulhi_epu16(v8, k), d), 6);
}

/* An expansion's constants in every lane, made once per row. */
struct expand_vec {
	__m128i ky, dy, kc, dc;
};

static inline struct expand_vec
expand_vec(const struct expand *e)
{
	struct expand_vec k = {_mm_set1_epi16((short)e->ky),
	    _mm_set1_epi16((short)e->dy), _mm_set1_epi16((short)e->kc),
	    _mm_set1_epi16((short)e->dc)};

	return k;
}

/*
 * 8 pixels of packed 4:2:2 (16 bytes at s) expanded: 8 luma lanes and 8
 * Cb Cr lanes, not yet clamped.
 */
static inline void
expand_packed(const uint8_t *s, int yo, const struct expand_vec *k, __m128i *y,
    __m128i *c)
{
	__m128i a = _mm_loadu_si128((const __m128i *)s);
	__m128i low = _mm_slli_epi16(a, 8); /* even bytes, << 8 */
	__m128i high = _mm_and_si128(a, _mm_set1_epi16((short)0xff00));

	*y = expand_sse2(yo ? high : low, k->ky, k->dy);
	*c = expand_sse2(yo ? low : high, k->kc, k->dc);
}

/* 16 interleaved Cb Cr byte pairs (two vectors) stored as 16 Cb, 16 Cr. */
static inline void
store_apart(uint8_t *du, uint8_t *dv, __m128i uv0, __m128i uv1)
{
	const __m128i lo = _mm_set1_epi16(0x00ff);

	_mm_storeu_si128((__m128i *)du,
	    _mm_packus_epi16(_mm_and_si128(uv0, lo), _mm_and_si128(uv1, lo)));
	_mm_storeu_si128((__m128i *)dv,
	    _mm_packus_epi16(_mm_srli_epi16(uv0, 8), _mm_srli_epi16(uv1, 8)));
}

/*
 * Packed 4:2:2, 32 pixels a step; returns the pixels done (the rest is
 * left to the scalar code).
 */
static unsigned int
simd_packed(const uint8_t *s, uint8_t *dy, uint8_t *du, uint8_t *dv,
    unsigned int w, int yo, const struct expand *e)
{
	const struct expand_vec k = expand_vec(e);
	__m128i ys[4], cs[4], uv0, uv1;
	unsigned int x;
	int i;

	for (x = 0; x + 32 <= w; x += 32, s += 64) {
		for (i = 0; i < 4; i++)
			expand_packed(s + 16 * i, yo, &k, &ys[i], &cs[i]);
		_mm_storeu_si128(
		    (__m128i *)(dy + x), _mm_packus_epi16(ys[0], ys[1]));
		_mm_storeu_si128(
		    (__m128i *)(dy + x + 16), _mm_packus_epi16(ys[2], ys[3]));
		/* Cb Cr interleaved, clamped; then apart */
		uv0 = _mm_packus_epi16(cs[0], cs[1]);
		uv1 = _mm_packus_epi16(cs[2], cs[3]);
		store_apart(du + x / 2, dv + x / 2, uv0, uv1);
	}
	return x;
}

/*
 * Packed 4:2:2 from BT.709 into BT.601 (see convert_709()), 32 pixels a
 * step: each Cb Cr pair times a pair of coefficients in one madd.
 */
static unsigned int
simd_packed_709(const uint8_t *s, uint8_t *dy, uint8_t *du, uint8_t *dv,
    unsigned int w, int yo, const struct expand *e)
{
	const struct expand_vec k = expand_vec(e);
	const __m128i zero = _mm_setzero_si128();
	const __m128i max = _mm_set1_epi16(255);
	const __m128i c128 = _mm_set1_epi16(128);
	const __m128i half = _mm_set1_epi32(512);
	/* (Cb, Cr) lane pairs times (Cb factor, Cr factor) */
	const __m128i my =
	    _mm_set_epi16(201, 104, 201, 104, 201, 104, 201, 104);
	const __m128i mu =
	    _mm_set_epi16(-113, 1014, -113, 1014, -113, 1014, -113, 1014);
	const __m128i mv =
	    _mm_set_epi16(1007, -74, 1007, -74, 1007, -74, 1007, -74);
	__m128i yv, cv, dl, u, v, ys[4], uv[4];
	unsigned int x;
	int i;

	for (x = 0; x + 32 <= w; x += 32, s += 64) {
		for (i = 0; i < 4; i++) {
			expand_packed(s + 16 * i, yo, &k, &yv, &cv);
			yv = _mm_min_epi16(_mm_max_epi16(yv, zero), max);
			cv = _mm_sub_epi16(
			    _mm_min_epi16(_mm_max_epi16(cv, zero), max), c128);
			dl = _mm_srai_epi32(
			    _mm_add_epi32(_mm_madd_epi16(cv, my), half), 10);
			u = _mm_srai_epi32(
			    _mm_add_epi32(_mm_madd_epi16(cv, mu), half), 10);
			v = _mm_srai_epi32(
			    _mm_add_epi32(_mm_madd_epi16(cv, mv), half), 10);
			/* each pair's correction to both of its pixels */
			dl = _mm_packs_epi32(dl, dl);
			ys[i] = _mm_add_epi16(yv, _mm_unpacklo_epi16(dl, dl));
			uv[i] = _mm_packs_epi32(u, v); /* 4 Cb, then 4 Cr */
		}
		_mm_storeu_si128(
		    (__m128i *)(dy + x), _mm_packus_epi16(ys[0], ys[1]));
		_mm_storeu_si128(
		    (__m128i *)(dy + x + 16), _mm_packus_epi16(ys[2], ys[3]));
		_mm_storeu_si128((__m128i *)(du + x / 2),
		    _mm_packus_epi16(
			_mm_add_epi16(_mm_unpacklo_epi64(uv[0], uv[1]), c128),
			_mm_add_epi16(_mm_unpacklo_epi64(uv[2], uv[3]), c128)));
		_mm_storeu_si128((__m128i *)(dv + x / 2),
		    _mm_packus_epi16(
			_mm_add_epi16(_mm_unpackhi_epi64(uv[0], uv[1]), c128),
			_mm_add_epi16(_mm_unpackhi_epi64(uv[2], uv[3]), c128)));
	}
	return x;
}

/* A row of bytes through one expansion, 16 a step; returns those done. */
static unsigned int
simd_bytes(
    const uint8_t *s, uint8_t *d, unsigned int n, uint16_t k, uint16_t dl)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i kv = _mm_set1_epi16((short)k);
	const __m128i dv = _mm_set1_epi16((short)dl);
	__m128i a;
	unsigned int x;

	for (x = 0; x + 16 <= n; x += 16) {
		a = _mm_loadu_si128((const __m128i *)(s + x));
		_mm_storeu_si128((__m128i *)(d + x),
		    _mm_packus_epi16(
			expand_sse2(_mm_unpacklo_epi8(zero, a), kv, dv),
			expand_sse2(_mm_unpackhi_epi8(zero, a), kv, dv)));
	}
	return x;
}

/* NV12 chroma: interleaved Cb Cr expanded and apart, 16 pixels a step. */
static unsigned int
simd_chroma(const uint8_t *s, uint8_t *du, uint8_t *dv, unsigned int w,
    const struct expand *e)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i kc = _mm_set1_epi16((short)e->kc);
	const __m128i dlc = _mm_set1_epi16((short)e->dc);
	__m128i a, uv0, uv1;
	unsigned int x;

	for (x = 0; x + 32 <= w; x += 32, s += 32) {
		a = _mm_loadu_si128((const __m128i *)s);
		uv0 = _mm_packus_epi16(
		    expand_sse2(_mm_unpacklo_epi8(zero, a), kc, dlc),
		    expand_sse2(_mm_unpackhi_epi8(zero, a), kc, dlc));
		a = _mm_loadu_si128((const __m128i *)(s + 16));
		uv1 = _mm_packus_epi16(
		    expand_sse2(_mm_unpacklo_epi8(zero, a), kc, dlc),
		    expand_sse2(_mm_unpackhi_epi8(zero, a), kc, dlc));
		store_apart(du + x / 2, dv + x / 2, uv0, uv1);
	}
	return x;
}
#elif defined(__ARM_NEON)
#include <arm_neon.h>

/* The expansion of 8 bytes: widened, multiplied, narrowed, clamped. */
static inline uint8x8_t
expand_neon8(uint8x8_t v, uint16_t k, int16x8_t d)
{
	uint16x8_t w = vmovl_u8(v);
	uint16x8_t t =
	    vcombine_u16(vshrn_n_u32(vmull_n_u16(vget_low_u16(w), k), 8),
		vshrn_n_u32(vmull_n_u16(vget_high_u16(w), k), 8));

	return vqshrun_n_s16(vsubq_s16(vreinterpretq_s16_u16(t), d), 6);
}

/* The expansion of 16 bytes. */
static inline uint8x16_t
expand_neon(uint8x16_t v, uint16_t k, int16x8_t d)
{
	return vcombine_u8(expand_neon8(vget_low_u8(v), k, d),
	    expand_neon8(vget_high_u8(v), k, d));
}

/* Packed 4:2:2, 32 pixels a step (vld4 takes them apart). */
static unsigned int
simd_packed(const uint8_t *s, uint8_t *dy, uint8_t *du, uint8_t *dv,
    unsigned int w, int yo, const struct expand *e)
{
	const int16x8_t dly = vdupq_n_s16((int16_t)e->dy);
	const int16x8_t dlc = vdupq_n_s16((int16_t)e->dc);
	uint8x16x4_t a;
	uint8x16x2_t y;
	unsigned int x;

	for (x = 0; x + 32 <= w; x += 32, s += 64) {
		a = vld4q_u8(s);
		y.val[0] = expand_neon(a.val[yo], e->ky, dly);
		y.val[1] = expand_neon(a.val[yo + 2], e->ky, dly);
		vst2q_u8(dy + x, y);
		vst1q_u8(du + x / 2, expand_neon(a.val[1 - yo], e->kc, dlc));
		vst1q_u8(dv + x / 2, expand_neon(a.val[3 - yo], e->kc, dlc));
	}
	return x;
}

/* BT.709 to BT.601 for 8 pixel pairs: the luma of each pair (ye, yo)
 * corrected, Cb Cr converted, all clamped. */
static inline void
convert_709_neon8(uint8x8_t *ye, uint8x8_t *yd, uint8x8_t *u, uint8x8_t *v)
{
	int16x8_t c128 = vdupq_n_s16(128);
	int16x4_t b[2], r[2], dl[2], cb[2], cr[2];
	int16x8_t bb, rr;
	int i;

	bb = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(*u)), c128);
	rr = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(*v)), c128);
	b[0] = vget_low_s16(bb);
	b[1] = vget_high_s16(bb);
	r[0] = vget_low_s16(rr);
	r[1] = vget_high_s16(rr);
	for (i = 0; i < 2; i++) {
		/* (x + 512) >> 10: a rounding narrowing shift */
		dl[i] = vrshrn_n_s32(
		    vmlal_n_s16(vmull_n_s16(b[i], 104), r[i], 201), 10);
		cb[i] = vrshrn_n_s32(
		    vmlal_n_s16(vmull_n_s16(b[i], 1014), r[i], -113), 10);
		cr[i] = vrshrn_n_s32(
		    vmlal_n_s16(vmull_n_s16(b[i], -74), r[i], 1007), 10);
	}
	bb = vcombine_s16(dl[0], dl[1]);
	*ye = vqmovun_s16(vaddq_s16(vreinterpretq_s16_u16(vmovl_u8(*ye)), bb));
	*yd = vqmovun_s16(vaddq_s16(vreinterpretq_s16_u16(vmovl_u8(*yd)), bb));
	*u = vqmovun_s16(vaddq_s16(vcombine_s16(cb[0], cb[1]), c128));
	*v = vqmovun_s16(vaddq_s16(vcombine_s16(cr[0], cr[1]), c128));
}

/* Packed 4:2:2 from BT.709 into BT.601, 32 pixels a step. */
static unsigned int
simd_packed_709(const uint8_t *s, uint8_t *dy, uint8_t *du, uint8_t *dv,
    unsigned int w, int yo, const struct expand *e)
{
	const int16x8_t dly = vdupq_n_s16((int16_t)e->dy);
	const int16x8_t dlc = vdupq_n_s16((int16_t)e->dc);
	uint8x8_t ye, yd, u, v;
	uint8x16x4_t a;
	uint8x8x2_t y;
	unsigned int x;
	int h;

	for (x = 0; x + 32 <= w; x += 32, s += 64) {
		a = vld4q_u8(s);
		for (h = 0; h < 2; h++) {
			ye = expand_neon8(h ? vget_high_u8(a.val[yo])
					    : vget_low_u8(a.val[yo]),
			    e->ky, dly);
			yd = expand_neon8(h ? vget_high_u8(a.val[yo + 2])
					    : vget_low_u8(a.val[yo + 2]),
			    e->ky, dly);
			u = expand_neon8(h ? vget_high_u8(a.val[1 - yo])
					   : vget_low_u8(a.val[1 - yo]),
			    e->kc, dlc);
			v = expand_neon8(h ? vget_high_u8(a.val[3 - yo])
					   : vget_low_u8(a.val[3 - yo]),
			    e->kc, dlc);
			convert_709_neon8(&ye, &yd, &u, &v);
			y.val[0] = ye;
			y.val[1] = yd;
			vst2_u8(dy + x + 16 * h, y);
			vst1_u8(du + x / 2 + 8 * h, u);
			vst1_u8(dv + x / 2 + 8 * h, v);
		}
	}
	return x;
}

/* A row of bytes through one expansion, 16 a step. */
static unsigned int
simd_bytes(
    const uint8_t *s, uint8_t *d, unsigned int n, uint16_t k, uint16_t dl)
{
	const int16x8_t dv = vdupq_n_s16((int16_t)dl);
	unsigned int x;

	for (x = 0; x + 16 <= n; x += 16)
		vst1q_u8(d + x, expand_neon(vld1q_u8(s + x), k, dv));
	return x;
}

/* NV12 chroma: interleaved Cb Cr expanded and apart, 32 pixels a step. */
static unsigned int
simd_chroma(const uint8_t *s, uint8_t *du, uint8_t *dv, unsigned int w,
    const struct expand *e)
{
	const int16x8_t dlc = vdupq_n_s16((int16_t)e->dc);
	uint8x16x2_t a;
	unsigned int x;

	for (x = 0; x + 32 <= w; x += 32, s += 32) {
		a = vld2q_u8(s);
		vst1q_u8(du + x / 2, expand_neon(a.val[0], e->kc, dlc));
		vst1q_u8(dv + x / 2, expand_neon(a.val[1], e->kc, dlc));
	}
	return x;
}
#else
/* No vector unit we know: the scalar code does it all. */
static unsigned int
simd_packed(const uint8_t *s, uint8_t *dy, uint8_t *du, uint8_t *dv,
    unsigned int w, int yo, const struct expand *e)
{
	(void)s, (void)dy, (void)du, (void)dv, (void)w, (void)yo, (void)e;
	return 0;
}

static unsigned int
simd_packed_709(const uint8_t *s, uint8_t *dy, uint8_t *du, uint8_t *dv,
    unsigned int w, int yo, const struct expand *e)
{
	(void)s, (void)dy, (void)du, (void)dv, (void)w, (void)yo, (void)e;
	return 0;
}

static unsigned int
simd_bytes(
    const uint8_t *s, uint8_t *d, unsigned int n, uint16_t k, uint16_t dl)
{
	(void)s, (void)d, (void)n, (void)k, (void)dl;
	return 0;
}

static unsigned int
simd_chroma(const uint8_t *s, uint8_t *du, uint8_t *dv, unsigned int w,
    const struct expand *e)
{
	(void)s, (void)du, (void)dv, (void)w, (void)e;
	return 0;
}
#endif

/* Repeat a row's last sample out to its padded width. */
static void
pad_row(uint8_t *d, unsigned int n, int stride)
{
	if ((int)n < stride)
		memset(d + n, d[n - 1], (size_t)stride - n);
}

/* One row of packed 4:2:2; yo is the offset of the first Y byte (0 YUYV,
 * 1 UYVY). */
static void
row_packed(const uint8_t *s, uint8_t *dy, uint8_t *du, uint8_t *dv,
    unsigned int w, int yo, const uint8_t *ly, const uint8_t *lc)
{
	unsigned int x = simd_packed(s, dy, du, dv, w, yo,
	    ly == lut_id ? &expand_full : &expand_limited);
	int co = 1 - yo;

	s += 2 * x;
	dy += x;
	du += x / 2;
	dv += x / 2;
	for (; x < w; x += 2, s += 4) {
		*dy++ = ly[s[yo]];
		*dy++ = ly[s[yo + 2]];
		*du++ = lc[s[co]];
		*dv++ = lc[s[co + 2]];
	}
}

/* Clamp an int to a byte. */
static inline uint8_t
byte(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/*
 * The BT.709 matrix (HD sources) to BT.601, the matrix JPEG decoders
 * assume, for one Cb Cr sample (expanded): the luma correction for the
 * pixels it covers, and the new Cb and Cr.  Through RGB, in 10-bit fixed
 * point:
 *   Y601 = Y + 0.1016 Cb + 0.1961 Cr
 *   Cb601 = 0.9898 Cb - 0.1107 Cr,  Cr601 = -0.0725 Cb + 0.9834 Cr
 * (the SIMD code uses the same numbers).
 */
static inline int
convert_709(uint8_t cb8, uint8_t cr8, uint8_t *cb601, uint8_t *cr601)
{
	int cb = cb8 - 128, cr = cr8 - 128;

	*cb601 = byte(128 + ((1014 * cb - 113 * cr + 512) >> 10));
	*cr601 = byte(128 + ((-74 * cb + 1007 * cr + 512) >> 10));
	return (104 * cb + 201 * cr + 512) >> 10;
}

/* One row of packed 4:2:2 in BT.709 into BT.601 planes. */
static void
row_packed_709(const uint8_t *s, uint8_t *dy, uint8_t *du, uint8_t *dv,
    unsigned int w, int yo, const uint8_t *ly, const uint8_t *lc)
{
	unsigned int x = simd_packed_709(s, dy, du, dv, w, yo,
	    ly == lut_id ? &expand_full : &expand_limited);
	int co = 1 - yo, dl;

	s += 2 * x;
	dy += x;
	du += x / 2;
	dv += x / 2;
	for (; x < w; x += 2, s += 4) {
		dl = convert_709(lc[s[co]], lc[s[co + 2]], du++, dv++);
		*dy++ = byte(ly[s[yo]] + dl);
		*dy++ = byte(ly[s[yo + 2]] + dl);
	}
}

/* One row of NV12's Y plane, range-expanded. */
static void
row_luma(const uint8_t *s, uint8_t *d, unsigned int w, const uint8_t *ly)
{
	unsigned int x;

	if (ly == lut_id) {
		memcpy(d, s, w);
		return;
	}
	x = simd_bytes(s, d, w, expand_limited.ky, expand_limited.dy);
	for (; x < w; x++)
		d[x] = ly[s[x]];
}

/* One row of NV12's interleaved Cb Cr. */
static void
row_chroma(const uint8_t *s, uint8_t *du, uint8_t *dv, unsigned int w,
    const uint8_t *lc)
{
	unsigned int x = simd_chroma(
	    s, du, dv, w, lc == lut_id ? &expand_full : &expand_limited);

	s += x;
	du += x / 2;
	dv += x / 2;
	for (; x < w; x += 2, s += 2) {
		*du++ = lc[s[0]];
		*dv++ = lc[s[1]];
	}
}

/*
 * One row of NV12 chroma with the BT.709 matrix into BT.601
 * (convert_709()): each sample's luma correction goes to the 2x2 pixels it
 * covers, in the two luma rows d0 and d1 split before.
 */
static void
row_chroma_709(const uint8_t *s, uint8_t *d0, uint8_t *d1, uint8_t *du,
    uint8_t *dv, unsigned int w, const uint8_t *lc)
{
	unsigned int x;
	int dl;

	for (x = 0; x < w / 2; x++, s += 2) {
		dl = convert_709(lc[s[0]], lc[s[1]], &du[x], &dv[x]);
		d0[2 * x] = byte(d0[2 * x] + dl);
		d0[2 * x + 1] = byte(d0[2 * x + 1] + dl);
		d1[2 * x] = byte(d1[2 * x] + dl);
		d1[2 * x + 1] = byte(d1[2 * x + 1] + dl);
	}
}

/* Check f and lay p out for bands of one MCU row, or the whole frame. */
int
planes_prepare(struct planes *p, const struct frame *f, int whole)
{
	return planes_prepare_as(p, f, whole, -1);
}

/* Check f and lay p out, in 4:2:0 if asked. */
int
planes_prepare_as(
    struct planes *p, const struct frame *f, int whole, int subsamp)
{
	unsigned int mcu_h, crows;
	size_t ysize, csize, tsize, need;

	pthread_once(&lut_once, planes_init_luts);
	if (f->width == 0 || f->height == 0 || f->width % 2 != 0 ||
	    f->width > 65536 || f->height > 65536)
		return -EINVAL;
	switch (f->format) {
	case FRAME_YUYV:
	case FRAME_UYVY:
		if (f->stride < f->width * 2 ||
		    f->len < (size_t)f->stride * (f->height - 1) + f->width * 2)
			return -EINVAL;
		p->packed_420 = subsamp == PLANES_420;
		p->subsamp = p->packed_420 ? PLANES_420 : PLANES_422;
		mcu_h = p->packed_420 ? 16 : 8;
		break;
	case FRAME_NV12:
		if (f->height % 2 != 0 || f->stride < f->width ||
		    f->len < (size_t)f->stride * f->height * 3 / 2)
			return -EINVAL;
		p->packed_420 = 0;
		p->subsamp = PLANES_420;
		mcu_h = 16;
		break;
	default:
		return -EINVAL;
	}
	p->width = f->width;
	p->height = f->height;
	p->rows = whole ? (f->height + mcu_h - 1) / mcu_h * mcu_h : mcu_h;
	p->y_stride = (int)((f->width + 15) / 16 * 16);
	p->c_stride = p->y_stride / 2;
	crows = p->subsamp == PLANES_420 ? p->rows / 2 : p->rows;
	ysize = (size_t)p->y_stride * p->rows;
	csize = (size_t)p->c_stride * crows;
	tsize = p->packed_420 ? (size_t)p->c_stride * 4 : 0;
	need = ysize + 2 * csize + tsize;
	if (p->mem_size < need) {
		free(p->mem);
		p->mem = xmalloc(need);
		p->mem_size = need;
	}
	p->y = p->mem;
	p->cb = p->mem + ysize;
	p->cr = p->cb + csize;
	p->tmp = p->packed_420 ? p->cr + csize : NULL;
	return 0;
}

/* Average two chroma rows of n samples into d. */
static void
mean_rows(const uint8_t *a, const uint8_t *b, uint8_t *d, unsigned int n)
{
	unsigned int x;

	for (x = 0; x < n; x++)
		d[x] = (uint8_t)((a[x] + b[x] + 1) >> 1);
}

/* A band of packed 4:2:2 into 4:2:0 planes: two rows split as 4:2:2 into
 * p->tmp, their chroma averaged. */
static void
split_packed_420(struct planes *p, const struct frame *f, unsigned int y0,
    const uint8_t *ly, const uint8_t *lc)
{
	unsigned int r, i, sy, w = f->width, cw = f->width / 2;
	uint8_t *dy, *du, *dv, *t[2][2];
	int yo = f->format == FRAME_UYVY;

	for (i = 0; i < 2; i++) {
		t[i][0] = p->tmp + (size_t)(2 * i) * p->c_stride;
		t[i][1] = t[i][0] + p->c_stride;
	}
	for (r = 0; r < p->rows / 2; r++) {
		for (i = 0; i < 2; i++) {
			sy = y0 + 2 * r + i;
			if (sy >= f->height)
				sy = f->height - 1;
			dy = p->y + (size_t)(2 * r + i) * p->y_stride;
			(f->bt709 ? row_packed_709 : row_packed)(
			    f->data + (size_t)sy * f->stride, dy, t[i][0],
			    t[i][1], w, yo, ly, lc);
			pad_row(dy, w, p->y_stride);
		}
		du = p->cb + (size_t)r * p->c_stride;
		dv = p->cr + (size_t)r * p->c_stride;
		mean_rows(t[0][0], t[1][0], du, cw);
		mean_rows(t[0][1], t[1][1], dv, cw);
		pad_row(du, cw, p->c_stride);
		pad_row(dv, cw, p->c_stride);
	}
}

/* Split a band of rows of f into p. */
void
planes_split(struct planes *p, const struct frame *f, unsigned int y0)
{
	const uint8_t *ly = f->full_range ? lut_id : lut_y;
	const uint8_t *lc = f->full_range ? lut_id : lut_c;
	const uint8_t *uv = f->data + (size_t)f->stride * f->height;
	unsigned int r, i, sy, w = f->width, cw = f->width / 2;
	uint8_t *dy[2], *du, *dv;
	int yo = f->format == FRAME_UYVY;

	if (p->packed_420) {
		split_packed_420(p, f, y0, ly, lc);
		return;
	}
	if (p->subsamp == PLANES_422) {
		for (r = 0; r < p->rows; r++) {
			sy = y0 + r < f->height ? y0 + r : f->height - 1;
			dy[0] = p->y + (size_t)r * p->y_stride;
			du = p->cb + (size_t)r * p->c_stride;
			dv = p->cr + (size_t)r * p->c_stride;
			(f->bt709 ? row_packed_709 : row_packed)(
			    f->data + (size_t)sy * f->stride, dy[0], du, dv, w,
			    yo, ly, lc);
			pad_row(dy[0], w, p->y_stride);
			pad_row(du, cw, p->c_stride);
			pad_row(dv, cw, p->c_stride);
		}
		return;
	}
	/* 4:2:0: a chroma row for every two luma rows */
	for (r = 0; r < p->rows / 2; r++) {
		for (i = 0; i < 2; i++) {
			sy = y0 + 2 * r + i;
			if (sy >= f->height)
				sy = f->height - 1;
			dy[i] = p->y + (size_t)(2 * r + i) * p->y_stride;
			row_luma(
			    f->data + (size_t)sy * f->stride, dy[i], w, ly);
		}
		sy =
		    y0 / 2 + r < f->height / 2 ? y0 / 2 + r : f->height / 2 - 1;
		du = p->cb + (size_t)r * p->c_stride;
		dv = p->cr + (size_t)r * p->c_stride;
		if (f->bt709)
			row_chroma_709(uv + (size_t)sy * f->stride, dy[0],
			    dy[1], du, dv, w, lc);
		else
			row_chroma(uv + (size_t)sy * f->stride, du, dv, w, lc);
		pad_row(dy[0], w, p->y_stride);
		pad_row(dy[1], w, p->y_stride);
		pad_row(du, cw, p->c_stride);
		pad_row(dv, cw, p->c_stride);
	}
}

/* Split the whole of f into p. */
int
planes_from_frame(struct planes *p, const struct frame *f)
{
	int r;

	if ((r = planes_prepare(p, f, 1)) < 0)
		return r;
	planes_split(p, f, 0);
	return 0;
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
