/*
 * m2m-int.h -- what m2m.c and m2m-queue.c share: the handle and its two
 * queues (see m2m.h for the API).
 */
#ifndef CAPD_M2M_INT_H
#define CAPD_M2M_INT_H

#include <stddef.h>
#include <stdint.h>

#include <linux/videodev2.h>

#include "m2m.h"

#define M2M_NBUF 4

struct m2m_buf {
	void *p;
	size_t len;
	int busy; /* queued to the driver */
};

struct m2m_queue {
	uint32_t type;
	uint32_t memory;
	unsigned int n;
	struct m2m_buf b[M2M_NBUF];
};

struct m2m {
	struct m2m_config cfg;
	struct m2m_info info;
	int fd;
	int streaming;
	int restart; /* restart before the next frame (keyframe) */
	struct m2m_queue out, cap;
	uint8_t *coded;
	size_t coded_cap;
	char err[160];
};

/* ioctl retried on EINTR: 0 or -errno. */
int m2m_ioctl(int fd, unsigned long req, void *arg);
/* Set the handle's message; returns err (-ENXIO as -ENODEV). */
int m2m_fail(struct m2m *, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* m2m-queue.c: buffers on the two queues */
int m2m_queue_reqbufs(struct m2m *, struct m2m_queue *, unsigned int n);
int m2m_queue_map(struct m2m *, struct m2m_queue *);
void m2m_queue_unmap(struct m2m_queue *);
/* (Re)queue CAPTURE buffer i. */
int m2m_queue_cap(struct m2m *, unsigned int i);
/* OUTPUT buffers: DMABUF if the feed allows and the driver takes it. */
int m2m_queue_alloc_out(struct m2m *);
/* Take back the OUTPUT buffers the driver is done with (non-blocking). */
int m2m_queue_reclaim_out(struct m2m *);
/* A free OUTPUT buffer index for in, waiting for one if all are queued. */
int m2m_queue_free_out(struct m2m *, const struct m2m_frame *in);
int m2m_queue_out(struct m2m *, unsigned int i, const struct m2m_frame *in);
/* The next CAPTURE buffer copied into ret: 0, or 1 if it was the LAST. */
int m2m_queue_next_cap(struct m2m *, struct m2m_packet *ret);

#endif
