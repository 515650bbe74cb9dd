/*
 * planes.h -- raw YUV frames to the separate Y, Cb, Cr planes JPEG wants.
 *
 * V4L2 delivers packed YUYV/UYVY (4:2:2) or NV12 (4:2:0, interleaved
 * chroma); libjpeg compresses straight from planes, so the only work left
 * is to split them -- no RGB round trip.  Capture devices send
 * limited-range YCbCr (16-235 luma, 16-240 chroma, BT.601) while JPEG
 * (JFIF) means full range: a frame that is not full range is expanded on
 * the way, or browsers show grey blacks and dull colours.  Likewise JPEG
 * means the BT.601 matrix: frames an HD source sends in BT.709
 * (frame->bt709) are converted on the way.
 *
 * The encoder splits a frame a band of rows at a time (one JPEG MCU row:
 * 8 rows of 4:2:2, 16 of 4:2:0), so the planes it compresses are still in
 * the cache: a whole 1080p frame's planes would be 4 MB written and read
 * back.  Rows are padded to whole MCUs as libjpeg reads them: columns past
 * the right edge repeat the last one, rows past the bottom the last row.
 */
#ifndef CAPD_PLANES_H
#define CAPD_PLANES_H

#include <stddef.h>
#include <stdint.h>

struct frame;

#define PLANES_422 0
#define PLANES_420 1

struct planes {
	uint8_t *y, *cb, *cr;
	int y_stride, c_stride;	    /* whole MCUs: >= width, >= width / 2 */
	unsigned int width, height; /* of the frame */
	unsigned int rows;	    /* luma rows a split fills */
	int subsamp;		    /* PLANES_422 or PLANES_420 */
	int packed_420;		    /* packed 4:2:2 in, 4:2:0 planes out */
	uint8_t *tmp;		    /* then: 2 rows each of Cb and Cr */
	/* the buffer behind the planes, grown on demand */
	uint8_t *mem;
	size_t mem_size;
};

/*
 * Check f (YUYV, UYVY or NV12, even width, NV12 also even height, long
 * enough) and lay p out for f: bands of one MCU row, or the whole frame
 * when whole is set.  -EINVAL for another format or a bad size.
 */
int planes_prepare(struct planes *p, const struct frame *f, int whole);
/*
 * The same, into 4:2:0 planes when subsamp is PLANES_420 even for packed
 * 4:2:2 frames (each Cb Cr sample the mean of the two rows it covers);
 * NV12 is 4:2:0 whatever is asked.
 */
int planes_prepare_as(
    struct planes *p, const struct frame *f, int whole, int subsamp);
/*
 * Split luma rows y0 .. y0 + p->rows - 1 of f (prepared for p; y0 a
 * multiple of p->rows) into p.
 */
void planes_split(struct planes *p, const struct frame *f, unsigned int y0);
/* Prepare for the whole frame and split it. */
int planes_from_frame(struct planes *p, const struct frame *);
void planes_free(struct planes *); /* the buffer; NULL ok */
/* Limited to full range, as the conversion does it (for tests). */
uint8_t planes_expand_luma(uint8_t);
uint8_t planes_expand_chroma(uint8_t);

#endif
