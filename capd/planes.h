/*
 * planes.h -- raw YUV frames to the separate Y, Cb, Cr planes JPEG wants.
 *
 * V4L2 delivers packed YUYV/UYVY (4:2:2) or NV12 (4:2:0, interleaved
 * chroma); libjpeg-turbo compresses straight from planes, so the only work
 * left is to split them -- no RGB round trip.  Capture devices send
 * limited-range YCbCr (16-235 luma, 16-240 chroma, BT.601) while JPEG
 * (JFIF) means full range: a frame that is not full range is expanded on
 * the way, or browsers show grey blacks and dull colours.  Likewise JPEG
 * means the BT.601 matrix: frames an HD source sends in BT.709
 * (frame->bt709) are converted on the way.
 */
#ifndef CAPD_PLANES_H
#define CAPD_PLANES_H

#include <stddef.h>
#include <stdint.h>

struct frame;

struct planes {
	uint8_t *y, *cb, *cr;
	int y_stride, c_stride;
	unsigned int width, height;
	int subsamp; /* TJSAMP_422 or TJSAMP_420 */
	/* the buffer behind the planes, grown on demand */
	uint8_t *mem;
	size_t mem_size;
};

/*
 * Split a raw YUV frame (YUYV, UYVY, NV12, even width) into p, growing p's
 * buffer if needed.  -EINVAL for another format or an odd width.
 */
int planes_from_frame(struct planes *p, const struct frame *);
void planes_free(struct planes *); /* the buffer; NULL ok */
/* Limited to full range, as the conversion does it (for tests). */
uint8_t planes_expand_luma(uint8_t);
uint8_t planes_expand_chroma(uint8_t);

#endif
