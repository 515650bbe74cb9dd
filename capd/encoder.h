/*
 * encoder.h -- raw frames to JPEG on a pool of worker threads.
 *
 * encoder_submit() runs on the loop thread and never waits: when every
 * worker is busy the frame waits in a single slot, and a newer frame takes
 * that slot (the older one is dropped -- a stale frame is worse than a
 * dropped one).  Finished frames come back to the loop thread through an
 * eventfd, in capture order: a result older than one already delivered is
 * dropped too.  JPEG frames come from a pool, so steady streaming does not
 * allocate.
 *
 * struct encoder_ctx is the single-threaded compressor each worker owns;
 * the "no signal" frame and the benchmark use it directly.
 */
#ifndef CAPD_ENCODER_H
#define CAPD_ENCODER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct frame;
struct encoder;
struct encoder_ctx;

/* Runs on the loop thread; takes the reference to jpeg. */
typedef void encoder_done_cb(struct frame *jpeg, void *arg);

struct encoder_stats {
	unsigned int workers;
	uint64_t submitted;
	uint64_t encoded;	/* delivered */
	uint64_t dropped_busy;	/* replaced while waiting */
	uint64_t dropped_stale; /* finished after a newer one */
	uint64_t errors;
	uint64_t encode_us; /* summed over all encodes */
};

int encoder_ctx_new(struct encoder_ctx **ret);
void encoder_ctx_free(struct encoder_ctx *); /* NULL ok */
/* PLANES_422 (the default) or PLANES_420: how packed 4:2:2 frames
 * (YUYV, UYVY) are compressed; NV12 is 4:2:0 and RGB 4:2:2 whatever. */
void encoder_ctx_set_subsamp(struct encoder_ctx *, int subsamp);
/* Room a JPEG of that raw frame may need. */
size_t encoder_max_size(const struct frame *raw);
/*
 * Compress raw into out (out->cap >= encoder_max_size(raw)); copies seq and
 * timestamps.  -EINVAL (error_set()) for a format or size it cannot take,
 * -EIO when libjpeg-turbo fails.
 */
int encoder_compress(struct encoder_ctx *, const struct frame *raw, int quality,
    struct frame *out);

int encoder_new(struct event_base *, unsigned int workers, encoder_done_cb *,
    void *arg, struct encoder **ret);
/* Stops and joins the workers; undelivered results are dropped. */
void encoder_free(struct encoder *); /* NULL ok */
/* The same for every worker, from the next frame submitted on. */
void encoder_set_subsamp(struct encoder *, int subsamp);
/* Queue raw for compression; takes a reference of its own. */
void encoder_submit(struct encoder *, struct frame *raw, int quality);
/* Frames queued or being encoded. */
unsigned int encoder_busy(struct encoder *);
void encoder_get_stats(struct encoder *, struct encoder_stats *);

#endif
