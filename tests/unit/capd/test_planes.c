/*
 * test_planes.c -- YUYV, UYVY and NV12 to Y/Cb/Cr planes, range expansion.
 */
#include <errno.h>
#include <string.h>
#include <turbojpeg.h>

#include "frame.h"
#include "planes.h"
#include "tap.h"

int
main(void)
{
	struct planes p;
	struct frame *f;
	int ok_all, x, y;

	memset(&p, 0, sizeof(p));
	is_int(planes_expand_luma(16), 0, "luma 16 is black");
	is_int(planes_expand_luma(235), 255, "luma 235 is white");
	is_int(planes_expand_luma(0), 0, "luma below 16 clamps");
	is_int(planes_expand_luma(255), 255, "luma above 235 clamps");
	is_int(planes_expand_luma(126), 128, "mid grey");
	is_int(planes_expand_chroma(128), 128, "neutral chroma stays");
	ok(planes_expand_chroma(16) <= 1, "chroma 16 is the minimum (0.5)");
	is_int(planes_expand_chroma(240), 255, "chroma 240 is the maximum");

	/* YUYV 4x2, full range: the bytes land where they belong */
	f = frame_new(64);
	f->format = FRAME_YUYV;
	f->width = 4;
	f->height = 2;
	f->stride = 10; /* padded lines */
	f->full_range = 1;
	memcpy(f->data, "\x01\x02\x03\x04\x05\x06\x07\x08..", 10);
	memcpy(f->data + 10, "\x11\x12\x13\x14\x15\x16\x17\x18", 8);
	f->len = 18;
	is_int(planes_from_frame(&p, f), 0, "YUYV splits");
	is_int(p.subsamp, TJSAMP_422, "YUYV is 4:2:2");
	is_mem(p.y, "\x01\x03\x05\x07\x11\x13\x15\x17", 8, "YUYV luma");
	is_mem(p.cb, "\x02\x06\x12\x16", 4, "YUYV Cb");
	is_mem(p.cr, "\x04\x08\x14\x18", 4, "YUYV Cr");
	is_int(p.y_stride, 4, "luma stride");
	is_int(p.c_stride, 2, "chroma stride");

	f->format = FRAME_UYVY;
	is_int(planes_from_frame(&p, f), 0, "UYVY splits");
	is_mem(p.y, "\x02\x04\x06\x08\x12\x14\x16\x18", 8, "UYVY luma");
	is_mem(p.cb, "\x01\x05\x11\x15", 4, "UYVY Cb");
	is_mem(p.cr, "\x03\x07\x13\x17", 4, "UYVY Cr");

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
	is_int(p.subsamp, TJSAMP_420, "NV12 is 4:2:0");
	ok_all = 1;
	for (y = 0; y < 4; y++)
		for (x = 0; x < 6; x++)
			if (p.y[y * p.y_stride + x] != y * 16 + x)
				ok_all = 0;
	ok(ok_all, "NV12 luma copied without the line padding");
	is_mem(p.cb, "\x64\x66\x68\x74\x76\x78", 6, "NV12 Cb");
	is_mem(p.cr, "\x65\x67\x69\x75\x77\x79", 6, "NV12 Cr");
	f->format = FRAME_RGB24;
	is_int(planes_from_frame(&p, f), -EINVAL, "RGB is not split");
	frame_unref(f);
	planes_free(&p);
	planes_free(NULL);
	return tap_done();
}
