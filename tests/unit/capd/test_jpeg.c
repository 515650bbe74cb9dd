/*
 * test_jpeg.c -- the MJPEG frame checker and Huffman-table insertion.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
#include "frame.h"
#include "jpeg.h"
#include "pattern.h"
#include "pattern_read.h"
#include "tap.h"

/* Copy a JPEG without its DHT segments, as a webcam would send it. */
static size_t
strip_dht(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 2, o = 2, seg;

	memcpy(out, in, 2);
	while (i + 4 <= len && in[i] == 0xff && in[i + 1] != 0xda) {
		seg = 2 + ((size_t)in[i + 2] << 8 | in[i + 3]);
		if (in[i + 1] != 0xc4) {
			memcpy(out + o, in + i, seg);
			o += seg;
		}
		i += seg;
	}
	memcpy(out + o, in + i, len - i);
	return o + len - i;
}

/* A good frame of the pattern passes, with its tables, untouched. */
static void
test_good_frame(uint8_t *buf, size_t len, uint8_t *fixed)
{
	struct jpeg_info info;
	size_t n;

	is_int(jpeg_check(buf, len, &info), 0, "a good frame passes");
	ok(info.has_dht, "it has Huffman tables");
	is_int(info.width, 320, "width from SOF");
	is_int(info.height, 240, "height from SOF");
	is_int(info.len, len, "length up to EOI");
	n = jpeg_fix(buf, &info, fixed);
	ok(n == len && memcmp(fixed, buf, len) == 0,
	    "a frame with tables passes through untouched");
}

/* Padding and stale bytes after EOI are cut. */
static void
test_after_eoi(uint8_t *buf, size_t len)
{
	struct jpeg_info info;

	memset(buf + len, 0, 100);
	is_int(jpeg_check(buf, len + 100, &info), 0, "zero padding is fine");
	is_int(info.len, len, "padding is cut");
	memcpy(buf + len, "\x12\xff\xd9\x00", 4);
	is_int(jpeg_check(buf, len + 4, &info), 0, "stale bytes after EOI");
	is_int(info.len, len, "stale bytes are cut at the first EOI");
}

/* No DHT: the standard tables make it decode to the same picture. */
static void
test_without_dht(uint8_t *buf, size_t len, uint8_t *fixed, uint8_t *nodht)
{
	struct jpeg_info info;
	struct decoded d1;
	struct decoded d2;
	size_t n;

	n = strip_dht(buf, len, nodht);
	ok(n < len, "stripped the tables (%zu -> %zu bytes)", len, n);
	is_int(jpeg_check(nodht, n, &info), 0, "a frame without DHT passes");
	ok(!info.has_dht, "and is seen to lack tables");
	is_int(jpeg_fixed_size(&info), n + 420, "fixing adds 420 bytes");
	is_int(jpeg_fix(nodht, &info, fixed), n + 420, "fixed");
	is_int(jpeg_check(fixed, n + 420, &info), 0, "the fixed frame passes");
	ok(info.has_dht, "and has tables");
	ok(decoded_load(buf, len, &d1) == 0, "original decodes");
	ok(decoded_load(fixed, n + 420, &d2) == 0, "fixed frame decodes");
	ok(d1.rgb && d2.rgb && d1.width == d2.width &&
		memcmp(d1.rgb, d2.rgb, (size_t)d1.width * d1.height * 3) == 0,
	    "with the standard tables it decodes to the very same pixels");
	free(d1.rgb);
	free(d2.rgb);
}

/* Bad frames are dropped: truncated, no SOI, segments past the end. */
static void
test_bad_frames(uint8_t *buf, size_t len, uint8_t *fixed)
{
	struct jpeg_info info;

	is_int(jpeg_check(buf, len / 2, &info), -EINVAL,
	    "a truncated frame is dropped");
	is_int(jpeg_check(buf, len - 1, &info), -EINVAL,
	    "a frame missing its last byte is dropped");
	is_int(jpeg_check(buf + 1, len - 1, &info), -EINVAL, "no SOI");
	is_int(jpeg_check(buf, 3, &info), -EINVAL, "too short");
	is_int(jpeg_check(buf, 20, &info), -EINVAL, "cut in the headers");
	memcpy(fixed, buf, len);
	fixed[4] = 0xff; /* APP0 length beyond the end */
	is_int(jpeg_check(fixed, len, &info), -EINVAL,
	    "a segment longer than the frame");
	/* an EOI inside a header segment (a thumbnail) does not count */
	{
		static const uint8_t t[] = {
		    0xff, 0xd8, 0xff, 0xe1, 0x00, 0x06, 0xff, 0xd9, 0x00, 0x00};
		is_int(jpeg_check(t, sizeof(t), &info), -EINVAL,
		    "thumbnail EOI only: no frame");
	}
}

int
main(void)
{
	struct pattern *pat;
	struct encoder_ctx *ctx;
	struct frame *raw, *jpg;
	uint8_t *buf, *fixed, *nodht;
	size_t len, dlen;
	const uint8_t *dht;

	dht = jpeg_std_dht(&dlen);
	is_int(dlen, 420, "the standard DHT segment is 420 bytes");
	ok(dht[0] == 0xff && dht[1] == 0xc4 && dht[2] == 0x01 && dht[3] == 0xa2,
	    "it starts with its marker and length 418");

	/* a real JPEG of the pattern */
	if (pattern_new(320, 240, &pat) != 0 || encoder_ctx_new(&ctx) != 0)
		return 1;
	raw = frame_new(320 * 240 * 2);
	raw->format = FRAME_YUYV;
	raw->width = 320;
	raw->height = 240;
	raw->stride = 640;
	raw->len = 320 * 240 * 2;
	pattern_render(pat, 12345, 0, raw->data, raw->stride);
	jpg = frame_new(encoder_max_size(raw));
	is_int(encoder_compress(ctx, raw, 80, jpg), 0, "pattern encodes");
	len = jpg->len;
	buf = malloc(len + 1000);
	fixed = malloc(len + 1000);
	nodht = malloc(len + 1000);
	memcpy(buf, jpg->data, len);
	test_good_frame(buf, len, fixed);
	test_after_eoi(buf, len);
	test_without_dht(buf, len, fixed, nodht);
	test_bad_frames(buf, len, fixed);
	frame_unref(raw);
	frame_unref(jpg);
	free(buf);
	free(fixed);
	free(nodht);
	encoder_ctx_free(ctx);
	pattern_free(pat);
	return tap_done();
}
