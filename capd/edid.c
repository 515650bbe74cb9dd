/*
 * edid.c -- checking, decoding and building EDIDs (VESA E-EDID 1.4 base
 * block, CEA-861 extension blocks).  Every offset read is inside the
 * 128-byte block it belongs to; lengths come from the caller.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edid.h"
#include "error.h"

static const uint8_t edid_header[8] = {
    0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};

/* The established timings of bytes 35-37, bit 7 of byte 35 first. */
static const struct edid_mode edid_established[17] = {
    {720, 400, 70, 0},
    {720, 400, 88, 0},
    {640, 480, 60, 0},
    {640, 480, 67, 0},
    {640, 480, 72, 0},
    {640, 480, 75, 0},
    {800, 600, 56, 0},
    {800, 600, 60, 0},
    {800, 600, 72, 0},
    {800, 600, 75, 0},
    {832, 624, 75, 0},
    {1024, 768, 87, 1},
    {1024, 768, 60, 0},
    {1024, 768, 70, 0},
    {1024, 768, 75, 0},
    {1280, 1024, 75, 0},
    {1152, 870, 75, 0},
};

/* Adds a mode unless it is there already or the list is full. */
static void
add_mode(struct edid_info *e, unsigned int w, unsigned int h, unsigned int hz,
    int interlaced)
{
	unsigned int i;

	for (i = 0; i < e->n_modes; i++)
		if (e->modes[i].width == w && e->modes[i].height == h &&
		    e->modes[i].hz == hz &&
		    e->modes[i].interlaced == interlaced)
			return;
	if (e->n_modes == EDID_MAX_MODES)
		return;
	e->modes[e->n_modes++] = (struct edid_mode){w, h, hz, interlaced};
}

/* A descriptor's text: up to 13 bytes ended by a line feed, trimmed. */
static void
descriptor_text(const uint8_t *d, char out[14])
{
	size_t i, n = 0;

	for (i = 5; i < 18 && d[i] != '\n'; i++)
		out[n++] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* An 18-byte detailed timing; -EINVAL when it is not sane. */
static int
parse_dtd(const uint8_t *d, struct edid_info *e, unsigned int block)
{
	unsigned long clock = (unsigned long)(d[0] | d[1] << 8) * 10000;
	unsigned int ha = d[2] | (d[4] & 0xf0) << 4;
	unsigned int hb = d[3] | (d[4] & 0x0f) << 8;
	unsigned int va = d[5] | (d[7] & 0xf0) << 4;
	unsigned int vb = d[6] | (d[7] & 0x0f) << 8;
	int interlaced = (d[17] & 0x80) != 0;
	unsigned long total = (unsigned long)(ha + hb) * (va + vb);
	unsigned int hz;

	if (ha < 64 || va < 32 || hb == 0 || vb == 0)
		return error_set(-EINVAL,
		    "block %u: a detailed timing of %ux%u with blanking %ux%u is not a mode",
		    block, ha, va, hb, vb);
	hz = (unsigned int)((clock + total / 2) / total);
	if (interlaced) {
		va *= 2;
		hz *= 2;
	}
	if (hz < 10 || hz > 500)
		return error_set(-EINVAL,
		    "block %u: a detailed timing of %ux%u at %u Hz is not a mode a source can send",
		    block, ha, va, hz);
	add_mode(e, ha, va, hz, interlaced);
	return 0;
}

/* A standard timing (two bytes); unused ones are 01 01 or 00 00. */
static void
parse_std(const uint8_t *s, struct edid_info *e)
{
	static const unsigned int num[4] = {10, 3, 4, 9};
	static const unsigned int den[4] = {16, 4, 5, 16};
	unsigned int w, a;

	if ((s[0] == 0x01 && s[1] == 0x01) || s[0] == 0x00)
		return;
	w = (s[0] + 31) * 8;
	a = s[1] >> 6;
	/* before EDID 1.3 aspect 0 meant 1:1 */
	if (a == 0 && e->version == 1 && e->revision < 3)
		add_mode(e, w, w, (s[1] & 0x3f) + 60, 0);
	else
		add_mode(e, w, w * num[a] / den[a], (s[1] & 0x3f) + 60, 0);
}

/* One of the base block's four 18-byte descriptors. */
static int
parse_descriptor(const uint8_t *d, struct edid_info *e)
{
	if (d[0] != 0 || d[1] != 0)
		return parse_dtd(d, e, 0);
	if (d[3] == 0xfc)
		descriptor_text(d, e->name);
	else if (d[3] == 0xff)
		descriptor_text(d, e->serial_text);
	else if (d[3] == 0xfa) {
		unsigned int i;

		for (i = 5; i + 1 < 17; i += 2)
			parse_std(d + i, e);
	}
	return 0;
}

/* The base block: identity, established, standard and detailed timings. */
static int
parse_base(const uint8_t *b, struct edid_info *e)
{
	unsigned int id = b[8] << 8 | b[9], i;
	int err;

	e->vendor[0] = (char)('@' + (id >> 10 & 0x1f));
	e->vendor[1] = (char)('@' + (id >> 5 & 0x1f));
	e->vendor[2] = (char)('@' + (id & 0x1f));
	e->vendor[3] = '\0';
	e->product = b[10] | b[11] << 8;
	e->serial = (unsigned long)b[12] | (unsigned long)b[13] << 8 |
	    (unsigned long)b[14] << 16 | (unsigned long)b[15] << 24;
	e->version = b[18];
	e->revision = b[19];
	if (e->version != 1)
		return error_set(-EINVAL,
		    "EDID version %u.%u: only 1.x is known", b[18], b[19]);
	/* the preferred timing first */
	for (i = 54; i < 126; i += 18)
		if ((err = parse_descriptor(b + i, e)) < 0)
			return err;
	for (i = 0; i < 17; i++)
		if (b[35 + i / 8] & (0x80 >> (i % 8)))
			add_mode(e, edid_established[i].width,
			    edid_established[i].height, edid_established[i].hz,
			    edid_established[i].interlaced);
	for (i = 38; i < 54; i += 2)
		parse_std(b + i, e);
	return 0;
}

/* CEA-861 video codes capd knows (others are skipped). */
static const struct {
	uint8_t vic;
	struct edid_mode m;
} cea_vics[] = {
    {1, {640, 480, 60, 0}},
    {2, {720, 480, 60, 0}},
    {3, {720, 480, 60, 0}},
    {4, {1280, 720, 60, 0}},
    {5, {1920, 1080, 60, 1}},
    {16, {1920, 1080, 60, 0}},
    {17, {720, 576, 50, 0}},
    {18, {720, 576, 50, 0}},
    {19, {1280, 720, 50, 0}},
    {20, {1920, 1080, 50, 1}},
    {31, {1920, 1080, 50, 0}},
    {32, {1920, 1080, 24, 0}},
    {33, {1920, 1080, 25, 0}},
    {34, {1920, 1080, 30, 0}},
};

/* The video data blocks of a CEA-861 block's collection, up to end. */
static void
parse_cea_data(const uint8_t *b, unsigned int end, struct edid_info *e)
{
	unsigned int i = 4, j, k, n;

	while (i < end) {
		n = b[i] & 0x1f;
		if (i + 1 + n > end)
			return;
		for (j = 0; (b[i] >> 5) == 2 && j < n; j++)
			for (k = 0; k < sizeof(cea_vics) / sizeof(cea_vics[0]);
			     k++)
				if (cea_vics[k].vic == (b[i + 1 + j] & 0x7f))
					add_mode(e, cea_vics[k].m.width,
					    cea_vics[k].m.height,
					    cea_vics[k].m.hz,
					    cea_vics[k].m.interlaced);
		i += 1 + n;
	}
}

/* A CEA-861 block's video codes and detailed timings. */
static int
parse_cea(const uint8_t *b, struct edid_info *e, unsigned int block)
{
	unsigned int d = b[2], i;
	int err;

	if (d == 0)
		return 0; /* no detailed timings, no data blocks */
	if (d < 4 || d > 127)
		return error_set(-EINVAL,
		    "block %u: CEA-861 timings offset %u is outside the block",
		    block, d);
	parse_cea_data(b, d, e);
	for (i = d; i + 18 <= 127; i += 18) {
		if (b[i] == 0 && b[i + 1] == 0)
			break; /* padding */
		if ((err = parse_dtd(b + i, e, block)) < 0)
			return err;
	}
	return 0;
}

int
edid_parse(const uint8_t *p, size_t len, struct edid_info *ret)
{
	struct edid_info e;
	unsigned int blocks, i, j, sum;
	int err;

	if (len < EDID_BLOCK || len % EDID_BLOCK != 0)
		return error_set(-EINVAL,
		    "an EDID is a multiple of 128 bytes, not %zu", len);
	if (memcmp(p, edid_header, sizeof(edid_header)) != 0)
		return error_set(-EINVAL,
		    "no EDID header (00 ff ff ff ff ff ff 00) at the start");
	blocks = 1 + p[126];
	if (blocks > EDID_MAX_BLOCKS)
		return error_set(-EINVAL,
		    "%u extension blocks announced, at most %u are taken",
		    p[126], EDID_MAX_BLOCKS - 1);
	if (len != (size_t)blocks * EDID_BLOCK)
		return error_set(-EINVAL,
		    "%zu bytes, but the base block announces %u blocks (%u bytes)",
		    len, blocks, blocks * EDID_BLOCK);
	for (i = 0; i < blocks; i++) {
		for (sum = 0, j = 0; j < EDID_BLOCK; j++)
			sum += p[i * EDID_BLOCK + j];
		if (sum % 256 != 0)
			return error_set(-EINVAL,
			    "block %u: bad checksum (bytes sum to %u mod 256, not 0)",
			    i, sum % 256);
	}
	memset(&e, 0, sizeof(e));
	e.blocks = blocks;
	if ((err = parse_base(p, &e)) < 0)
		return err;
	for (i = 1; i < blocks; i++)
		if (p[i * EDID_BLOCK] == 0x02 &&
		    (err = parse_cea(p + i * EDID_BLOCK, &e, i)) < 0)
			return err;
	if (e.n_modes == 0)
		return error_set(-EINVAL, "the EDID lists no mode");
	*ret = e;
	return 0;
}

size_t
edid_phys_addr_offset(const uint8_t *p, size_t len)
{
	size_t blk, i, end;
	unsigned int n;

	for (blk = EDID_BLOCK; blk + EDID_BLOCK <= len; blk += EDID_BLOCK) {
		if (p[blk] != 0x02 || p[blk + 2] < 4 || p[blk + 2] > 127)
			continue;
		end = blk + p[blk + 2];
		for (i = blk + 4; i < end; i += 1 + n) {
			n = p[i] & 0x1f;
			if (i + 1 + n > end)
				break;
			if (p[i] >> 5 == 3 && n >= 5 && p[i + 1] == 0x03 &&
			    p[i + 2] == 0x0c && p[i + 3] == 0x00)
				return i + 4;
		}
	}
	return 0;
}

int
edid_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t pa = edid_phys_addr_offset(a, alen), sum, i;

	if (alen != blen || pa != edid_phys_addr_offset(b, blen))
		return 0;
	/* the address and its block's checksum */
	sum = pa / EDID_BLOCK * EDID_BLOCK + EDID_BLOCK - 1;
	for (i = 0; i < alen; i++)
		if (a[i] != b[i] &&
		    (pa == 0 || (i != pa && i != pa + 1 && i != sum)))
			return 0;
	return 1;
}

/* A timing to build a detailed timing descriptor from. */
struct edid_dtd {
	unsigned int clock_khz;
	unsigned int ha, hfp, hsync, hbp;
	unsigned int va, vfp, vsync, vbp;
	int hpos, vpos;
};

/* CEA-861 VIC 16, 31, 4, 19, and VESA DMT 1024x768@60. */
static const struct edid_dtd dtd_1080p60 = {
    148500, 1920, 88, 44, 148, 1080, 4, 5, 36, 1, 1};
static const struct edid_dtd dtd_1080p50 = {
    148500, 1920, 528, 44, 148, 1080, 4, 5, 36, 1, 1};
static const struct edid_dtd dtd_720p60 = {
    74250, 1280, 110, 40, 220, 720, 5, 5, 20, 1, 1};
static const struct edid_dtd dtd_720p50 = {
    74250, 1280, 440, 40, 220, 720, 5, 5, 20, 1, 1};
static const struct edid_dtd dtd_xga60 = {
    65000, 1024, 24, 136, 160, 768, 3, 6, 29, 0, 0};

/* Writes an 18-byte detailed timing descriptor. */
static void
put_dtd(uint8_t *d, const struct edid_dtd *t)
{
	unsigned int clock = t->clock_khz / 10;
	unsigned int hb = t->hfp + t->hsync + t->hbp;
	unsigned int vb = t->vfp + t->vsync + t->vbp;

	d[0] = clock & 0xff;
	d[1] = clock >> 8;
	d[2] = t->ha & 0xff;
	d[3] = hb & 0xff;
	d[4] = (t->ha >> 8) << 4 | hb >> 8;
	d[5] = t->va & 0xff;
	d[6] = vb & 0xff;
	d[7] = (t->va >> 8) << 4 | vb >> 8;
	d[8] = t->hfp & 0xff;
	d[9] = t->hsync & 0xff;
	d[10] = (t->vfp & 0x0f) << 4 | (t->vsync & 0x0f);
	d[11] = (t->hfp >> 8) << 6 | (t->hsync >> 8) << 4 | (t->vfp >> 4) << 2 |
	    t->vsync >> 4;
	/* image size in mm: a 24-inch 16:9 screen */
	d[12] = 531 & 0xff;
	d[13] = 299 & 0xff;
	d[14] = (531 >> 8) << 4 | 299 >> 8;
	d[15] = d[16] = 0;
	d[17] = 0x18 | (t->vpos ? 0x04 : 0) | (t->hpos ? 0x02 : 0);
}

/* Writes a text descriptor (name 0xfc, serial 0xff). */
static void
put_text(uint8_t *d, uint8_t tag, const char *s)
{
	size_t n = strlen(s);

	memset(d, 0, 5);
	d[3] = tag;
	memset(d + 5, ' ', 13);
	memcpy(d + 5, s, n);
	if (n < 13)
		d[5 + n] = '\n';
}

/* A standard timing's two bytes. */
static void
put_std(uint8_t *s, unsigned int w, unsigned int aspect, unsigned int hz)
{
	s[0] = (uint8_t)(w / 8 - 31);
	s[1] = (uint8_t)(aspect << 6 | (hz - 60));
}

/* A chromaticity coordinate in 10 bits. */
static unsigned int
chroma(double v)
{
	return (unsigned int)lround(v * 1024);
}

/* The colour block: sRGB primaries and D65 white. */
static void
put_chroma(uint8_t *b)
{
	const double xy[8] = {
	    0.640, 0.330, 0.300, 0.600, 0.150, 0.060, 0.3127, 0.3290};
	unsigned int c[8], i;

	for (i = 0; i < 8; i++)
		c[i] = chroma(xy[i]);
	b[25] = (uint8_t)((c[0] & 3) << 6 | (c[1] & 3) << 4 | (c[2] & 3) << 2 |
	    (c[3] & 3));
	b[26] = (uint8_t)((c[4] & 3) << 6 | (c[5] & 3) << 4 | (c[6] & 3) << 2 |
	    (c[7] & 3));
	for (i = 0; i < 8; i++)
		b[27 + i] = (uint8_t)(c[i] >> 2);
}

/* The base block with two preferred timings, name and range limits. */
static void
build_base(
    uint8_t *b, const struct edid_dtd *first, const struct edid_dtd *second)
{
	unsigned int id = ('K' - '@') << 10 | ('P' - '@') << 5 | ('T' - '@');
	unsigned int i, sum = 0;
	uint8_t *r = b + 108;

	memset(b, 0, EDID_BLOCK);
	memcpy(b, edid_header, sizeof(edid_header));
	b[8] = (uint8_t)(id >> 8);
	b[9] = id & 0xff;
	b[10] = 0x01; /* product 1 */
	b[12] = 0x01; /* serial 1 */
	b[16] = 1;    /* week */
	b[17] = 2026 - 1990;
	b[18] = 1;
	b[19] = 4;
	b[20] = 0xa2; /* digital, 8 bits a colour, HDMI-a */
	b[21] = 53;   /* cm */
	b[22] = 30;
	b[23] = 120;  /* gamma 2.2 */
	b[24] = 0x0a; /* RGB and YCbCr 4:4:4, preferred is native */
	put_chroma(b);
	b[35] = 0x21; /* 640x480@60, 800x600@60 */
	b[36] = 0x08; /* 1024x768@60 */
	/* standard timings start at 60 Hz: 50 Hz is in the CEA block */
	put_std(b + 38, 1920, 3, 60);
	put_std(b + 40, 1280, 3, 60);
	memset(b + 42, 0x01, 12);
	put_dtd(b + 54, first);
	put_dtd(b + 72, second);
	put_text(b + 90, 0xfc, "KaputtKVM");
	/* range limits: 49-61 Hz, 30-70 kHz, 150 MHz, no formula */
	memset(r, 0, 18);
	r[3] = 0xfd;
	r[5] = 49;
	r[6] = 61;
	r[7] = 30;
	r[8] = 70;
	r[9] = 15;
	r[10] = 0x01;
	r[11] = '\n';
	memset(r + 12, ' ', 6);
	b[126] = 1;
	for (i = 0; i < 127; i++)
		sum += b[i];
	b[127] = (uint8_t)((256 - sum % 256) % 256);
}

/* The CEA-861 block: HDMI, five video codes, 720p50. */
static void
build_cea(uint8_t *b)
{
	static const uint8_t vics[] = {16, 31, 4, 19, 1};
	unsigned int i, n = sizeof(vics), sum = 0;
	uint8_t *p = b + 4;

	memset(b, 0, EDID_BLOCK);
	b[0] = 0x02;
	b[1] = 3;
	b[3] = 0x80 | 0x30; /* underscan, YCbCr 4:4:4 and 4:2:2 */
	*p++ = (uint8_t)(2 << 5 | n);
	for (i = 0; i < n; i++)
		*p++ = (uint8_t)(vics[i] | (i == 0 ? 0x80 : 0));
	/* HDMI vendor block (IEEE OUI 00-0C-03), physical address 1.0.0.0 */
	*p++ = 3 << 5 | 5;
	*p++ = 0x03;
	*p++ = 0x0c;
	*p++ = 0x00;
	*p++ = 0x10;
	*p++ = 0x00;
	b[2] = (uint8_t)(p - b);
	put_dtd(p, &dtd_720p50);
	for (i = 0; i < 127; i++)
		sum += b[i];
	b[127] = (uint8_t)((256 - sum % 256) % 256);
}

static const struct {
	const char *name;
	const struct edid_dtd *first, *second;
} presets[] = {
    {"default", &dtd_1080p60, &dtd_1080p50},
    {"1280x720", &dtd_720p60, &dtd_1080p60},
    {"1024x768", &dtd_xga60, &dtd_1080p60},
};

int
edid_preset(const char *name, uint8_t *out)
{
	size_t i;

	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(name, presets[i].name) == 0) {
			build_base(out, presets[i].first, presets[i].second);
			build_cea(out + EDID_BLOCK);
			return 2 * EDID_BLOCK;
		}
	return error_set(
	    -ENOENT, "no EDID preset '%s' (default, 1280x720, 1024x768)", name);
}

const char *
edid_preset_name(size_t i)
{
	return i < sizeof(presets) / sizeof(presets[0]) ? presets[i].name
							: NULL;
}

int
edid_load_file(const char *path, uint8_t *out)
{
	uint8_t buf[EDID_MAX_BLOCKS * EDID_BLOCK + 1];
	struct edid_info info;
	size_t len = 0;
	ssize_t n;
	int fd, err;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return error_set(
		    -errno, "EDID file %s: %s", path, strerror(errno));
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			close(fd);
			return error_set(
			    err, "EDID file %s: %s", path, strerror(-err));
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == sizeof(buf))
		return error_set(-EINVAL, "EDID file %s: longer than %u blocks",
		    path, EDID_MAX_BLOCKS);
	if ((err = edid_parse(buf, len, &info)) < 0) {
		char why[200];

		snprintf(why, sizeof(why), "%s", error_get());
		return error_set(err, "EDID file %s: %s", path, why);
	}
	memcpy(out, buf, len);
	return (int)len;
}

/* Decodes an EDID written as hex and checks it (edid_parse()). */
int
edid_from_hex(const char *hex, uint8_t *out)
{
	struct edid_info e;
	size_t n = strlen(hex), i;
	char pair[3] = "";

	if (n % 2 != 0 || n / 2 % EDID_BLOCK != 0 || n == 0 ||
	    n / 2 > EDID_MAX_BLOCKS * EDID_BLOCK)
		return error_set(-EINVAL,
		    "an EDID in hex is 256 hex digits a 128-byte block, 1 to %d blocks; this has %zu digits",
		    EDID_MAX_BLOCKS, n);
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return error_set(-EINVAL,
			    "the EDID's hex has a character that is not a hex digit at %zu",
			    i);
	for (i = 0; i < n; i += 2) {
		pair[0] = hex[i];
		pair[1] = hex[i + 1];
		out[i / 2] = (uint8_t)strtoul(pair, NULL, 16);
	}
	if (edid_parse(out, n / 2, &e) < 0)
		return -EINVAL;
	return (int)(n / 2);
}

/* Writes len bytes as lower-case hex into out (room for 2 * len + 1). */
void
edid_to_hex(const uint8_t *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}
