/*
 * test_stream.c -- multipart framing: each part's headers, the frame, and
 * the next boundary right after it, written around the shared frame.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "stream.h"
#include "tap.h"

/* A fake JPEG frame of n bytes. */
static struct frame *
fake_jpeg(size_t n, int64_t ts_us)
{
	struct frame *f = frame_new(n);
	size_t i;

	f->data[0] = 0xff;
	f->data[1] = 0xd8;
	for (i = 2; i < n - 2; i++)
		f->data[i] = (uint8_t)(i * 7);
	f->data[n - 2] = 0xff;
	f->data[n - 1] = 0xd9;
	f->len = n;
	f->ts_us = ts_us;
	return f;
}

int
main(void)
{
	static const char want_hdr[] = "Content-Type: image/jpeg\r\n"
				       "Content-Length: 1000\r\n"
				       "X-Timestamp: 1700000000.012345\r\n"
				       "\r\n";
	static const char trailer[] = "\r\n--" STREAM_BOUNDARY "\r\n";
	struct frame *f, *g;
	const uint8_t *part;
	const char *pre;
	size_t n, hl = sizeof(want_hdr) - 1;
	size_t tl = sizeof(trailer) - 1, off, len;
	uint8_t *stream;
	char *p, *end;
	int parts = 0, ok_all = 1;

	pre = stream_preamble(&n);
	is_str(pre, "--" STREAM_BOUNDARY "\r\n",
	    "the stream opens with a "
	    "boundary");
	ok(strstr(STREAM_CONTENT_TYPE, "boundary=" STREAM_BOUNDARY) != NULL,
	    "the content type names the boundary");

	f = fake_jpeg(1000, 1700000000012345LL);
	n = stream_part_prepare(f);
	is_int(n, hl + 1000 + tl, "part = headers + frame + next boundary");
	is_int(f->part_len, n, "part_len set");
	part = f->buf + f->part_off;
	is_mem(part, want_hdr, hl, "part headers, X-Timestamp in seconds");
	ok(part + hl == f->data,
	    "the frame follows its headers in place (no copy)");
	is_mem(part + hl + 1000, trailer, tl,
	    "the next boundary follows the frame at once");
	is_int(stream_part_prepare(f), n, "preparing again changes nothing");
	ok(f->part_off + f->part_len <=
		FRAME_HEADROOM + f->cap + FRAME_TAILROOM,
	    "the part stays inside the buffer");

	/* a stream of two parts parses back */
	g = fake_jpeg(77, 5);
	stream_part_prepare(g);
	is_mem(g->buf + g->part_off + 26, "Content-Length: 77\r\n", 20,
	    "short frame length");
	is_mem(g->buf + g->part_off + 46, "X-Timestamp: 0.000005\r\n", 23,
	    "timestamps keep their leading zeros");
	len = strlen(pre) + f->part_len + g->part_len;
	stream = malloc(len + 1);
	memcpy(stream, pre, strlen(pre));
	off = strlen(pre);
	memcpy(stream + off, f->buf + f->part_off, f->part_len);
	off += f->part_len;
	memcpy(stream + off, g->buf + g->part_off, g->part_len);
	stream[len] = 0;
	p = (char *)stream + strlen(pre);
	while (p < (char *)stream + len) {
		end = strstr(p, "\r\n\r\n");
		if (end == NULL ||
		    strncmp(p, "Content-Type: image/jpeg\r\n", 26) != 0) {
			ok_all = 0;
			break;
		}
		n = strtoul(strstr(p, "Content-Length: ") + 16, NULL, 10);
		p = end + 4;
		if ((uint8_t)p[0] != 0xff || (uint8_t)p[n - 1] != 0xd9 ||
		    memcmp(p + n, trailer, tl) != 0) {
			ok_all = 0;
			break;
		}
		p += n + tl;
		parts++;
	}
	ok(ok_all && parts == 2, "a client parses both parts back (%d)", parts);
	free(stream);
	frame_unref(f);
	frame_unref(g);
	return tap_done();
}
