/*
 * frame.h -- reference-counted frames, shared by every client.
 *
 * A frame is one picture: a raw capture (YUYV, UYVY, NV12, RGB24, BGR24) or
 * a JPEG.  It is filled once by its producer and read-only afterwards, so
 * any number of clients and threads can hold it; the last frame_unref()
 * gives its buffer back to the pool it came from (or frees it).  The buffer
 * keeps FRAME_HEADROOM bytes before the data and FRAME_TAILROOM after it:
 * the multipart stream writes a part's headers and the next boundary there,
 * so a whole part goes out as one shared region, never a per-client copy.
 */
#ifndef CAPD_FRAME_H
#define CAPD_FRAME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADROOM 256
#define FRAME_TAILROOM 64

enum frame_format {
	FRAME_JPEG,
	FRAME_YUYV,
	FRAME_UYVY,
	FRAME_NV12,
	FRAME_RGB24,
	FRAME_BGR24,
	FRAME_H264, /* one Annex-B access unit (h264.h) */
};

struct frame_pool;

struct frame {
	atomic_uint refs;
	struct frame_pool *pool; /* NULL: freed on last unref */
	uint8_t *buf;		 /* headroom + cap + tailroom */
	size_t buf_size;	 /* bytes at buf */
	uint8_t *data;		 /* buf + FRAME_HEADROOM */
	size_t cap;		 /* bytes available at data */
	size_t len;		 /* bytes used at data */
	enum frame_format format;
	unsigned int width, height;
	unsigned int stride; /* raw: bytes per line */
	int full_range;	     /* raw YUV: 0-255, not 16-235 */
	int bt709;	     /* raw YUV: BT.709 matrix, not BT.601 */
	uint64_t seq;	     /* capture order */
	int64_t ts_us;	     /* capture time, CLOCK_REALTIME */
	int64_t mono_us;     /* capture time, CLOCK_MONOTONIC */
	uint64_t hash;	     /* content hash, 0 when unset */
	int keyframe;	     /* H.264: an IDR access unit with SPS and PPS */
	/* set by the stream when it publishes a JPEG: one multipart part */
	size_t part_off; /* offset into buf */
	size_t part_len;
	/*
	 * A frame whose bytes are lent by their owner (a capture buffer; buf
	 * NULL, no pool): called instead of freeing it on the last unref,
	 * from whichever thread that is.
	 */
	void (*release)(struct frame *);
};

/* A pool keeps up to keep idle buffers for reuse; frames may outlive it. */
struct frame_pool *frame_pool_new(unsigned int keep);
void frame_pool_free(struct frame_pool *); /* NULL ok */
/* A frame with refs 1 and room for at least cap bytes of data. */
struct frame *frame_pool_get(struct frame_pool *, size_t cap);
/* Idle buffers and all buffers the pool ever handed out (for /state). */
unsigned int frame_pool_idle(struct frame_pool *);
uint64_t frame_pool_allocs(struct frame_pool *);

struct frame *frame_new(size_t cap); /* no pool */
struct frame *frame_ref(struct frame *);
void frame_unref(struct frame *); /* NULL ok; any thread */
const char *frame_format_name(enum frame_format);
/* Bytes of a raw frame of that format and size (0 for JPEG). */
size_t frame_raw_size(enum frame_format, unsigned int w, unsigned int h);
int64_t frame_now_us(void);  /* CLOCK_REALTIME */
int64_t frame_mono_us(void); /* CLOCK_MONOTONIC */
int64_t frame_cpu_us(void);  /* the calling thread's CPU time */
/* FNV-1a over the data, for --drop-same-frames. */
uint64_t frame_hash(const struct frame *);

#endif
