/*
 * m2m-queue.c -- the buffers of m2m.c's two queues: CAPTURE mmap'd and
 * requeued as soon as its coded bytes are copied out; OUTPUT by DMABUF
 * import (capture buffer i in slot i) or by copy into mmap'd buffers.
 * Every wait is a poll() with the handle's timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/videodev2.h>

#include "m2m-int.h"
#include "m2m.h"

/* Fill b (and its one plane) for buffer i of q. */
static void
m2m_buf_init(struct m2m *m, struct m2m_queue *q, unsigned int i,
    struct v4l2_buffer *b, struct v4l2_plane *pl)
{
	memset(b, 0, sizeof(*b));
	memset(pl, 0, sizeof(*pl));
	b->type = q->type;
	b->memory = q->memory;
	b->index = i;
	if (m->info.dev.mplane) {
		b->m.planes = pl;
		b->length = 1;
	}
}

int
m2m_queue_reqbufs(struct m2m *m, struct m2m_queue *q, unsigned int n)
{
	struct v4l2_requestbuffers rb;
	int r;

	memset(&rb, 0, sizeof(rb));
	rb.type = q->type;
	rb.memory = q->memory;
	rb.count = n;
	if ((r = m2m_ioctl(m->fd, VIDIOC_REQBUFS, &rb)) < 0)
		return r;
	if (n && rb.count == 0)
		return -ENOMEM;
	q->n = rb.count < M2M_NBUF ? rb.count : M2M_NBUF;
	return 0;
}

/* mmap the buffers of q. */
int
m2m_queue_map(struct m2m *m, struct m2m_queue *q)
{
	for (unsigned int i = 0; i < q->n; i++) {
		struct v4l2_buffer b;
		struct v4l2_plane pl;
		uint32_t off;
		int r;

		m2m_buf_init(m, q, i, &b, &pl);
		if ((r = m2m_ioctl(m->fd, VIDIOC_QUERYBUF, &b)) < 0)
			return r;
		q->b[i].len = m->info.dev.mplane ? pl.length : b.length;
		off = m->info.dev.mplane ? pl.m.mem_offset : b.m.offset;
		q->b[i].p = mmap(NULL, q->b[i].len, PROT_READ | PROT_WRITE,
		    MAP_SHARED, m->fd, off);
		if (q->b[i].p == MAP_FAILED) {
			q->b[i].p = NULL;
			return -errno;
		}
	}
	return 0;
}

void
m2m_queue_unmap(struct m2m_queue *q)
{
	for (unsigned int i = 0; i < M2M_NBUF; i++) {
		if (q->b[i].p)
			munmap(q->b[i].p, q->b[i].len);
		q->b[i].p = NULL;
		q->b[i].busy = 0;
	}
	q->n = 0;
}

int
m2m_queue_cap(struct m2m *m, unsigned int i)
{
	struct v4l2_buffer b;
	struct v4l2_plane pl;
	int r;

	m2m_buf_init(m, &m->cap, i, &b, &pl);
	if ((r = m2m_ioctl(m->fd, VIDIOC_QBUF, &b)) < 0)
		return r;
	m->cap.b[i].busy = 1;
	return 0;
}

/* OUTPUT buffers: DMABUF if wanted and taken, else MMAP. */
int
m2m_queue_alloc_out(struct m2m *m)
{
	int r = -EINVAL;

	m->out.memory = V4L2_MEMORY_DMABUF;
	if (m->cfg.feed != M2M_FEED_COPY)
		r = m2m_queue_reqbufs(m, &m->out, M2M_NBUF);
	if (r < 0 && m->cfg.feed == M2M_FEED_DMABUF)
		return m2m_fail(m, r, "%s does not import DMABUF on OUTPUT",
		    m->info.dev.path);
	m->info.dmabuf = r == 0;
	if (r == 0)
		return 0;
	m->out.memory = V4L2_MEMORY_MMAP;
	if ((r = m2m_queue_reqbufs(m, &m->out, M2M_NBUF)) < 0 ||
	    (r = m2m_queue_map(m, &m->out)) < 0)
		return m2m_fail(m, r, "%s: no OUTPUT buffers: %s",
		    m->info.dev.path, strerror(-r));
	return 0;
}

/* Wait for events on the fd; -ETIMEDOUT, -ENODEV or 0. */
static int
m2m_wait(struct m2m *m, short events)
{
	struct pollfd p = {.fd = m->fd, .events = events};
	int r;

	do
		r = poll(&p, 1, m->cfg.timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return m2m_fail(m, -ETIMEDOUT, "%s did not answer within %d ms",
		    m->info.dev.path, m->cfg.timeout_ms);
	if (p.revents & (POLLERR | POLLHUP) && !(p.revents & events)) {
		struct v4l2_capability cap;

		if (m2m_ioctl(m->fd, VIDIOC_QUERYCAP, &cap) < 0)
			return m2m_fail(
			    m, -ENODEV, "%s is gone", m->info.dev.path);
		return m2m_fail(m, -EIO, "%s: poll error", m->info.dev.path);
	}
	return 0;
}

/* Take back the OUTPUT buffers the driver is done with (non-blocking). */
int
m2m_queue_reclaim_out(struct m2m *m)
{
	for (;;) {
		struct v4l2_buffer b;
		struct v4l2_plane pl;
		int r;

		m2m_buf_init(m, &m->out, 0, &b, &pl);
		if ((r = m2m_ioctl(m->fd, VIDIOC_DQBUF, &b)) == -EAGAIN)
			return 0;
		if (r < 0)
			return m2m_fail(m, r, "%s: DQBUF on OUTPUT: %s",
			    m->info.dev.path, strerror(-r));
		if (b.index < M2M_NBUF)
			m->out.b[b.index].busy = 0;
	}
}

/* A free OUTPUT buffer index, waiting for one if all are queued. */
int
m2m_queue_free_out(struct m2m *m, const struct m2m_frame *in)
{
	unsigned int want = m->info.dmabuf ? in->slot % m->out.n : 0;
	int r;

	for (int tries = 0; tries < 2; tries++) {
		if ((r = m2m_queue_reclaim_out(m)) < 0)
			return r;
		/* DMABUF: the same capture buffer in the same slot, so the
		 * driver keeps its import; copy: any free one */
		for (unsigned int i = 0; i < m->out.n; i++) {
			unsigned int j = (want + i) % m->out.n;

			if (!m->out.b[j].busy)
				return (int)j;
		}
		if ((r = m2m_wait(m, POLLOUT)) < 0)
			return r;
	}
	return m2m_fail(
	    m, -EIO, "%s holds all its OUTPUT buffers", m->info.dev.path);
}

/* Queue frame in on OUTPUT buffer i. */
int
m2m_queue_out(struct m2m *m, unsigned int i, const struct m2m_frame *in)
{
	struct v4l2_buffer b;
	struct v4l2_plane pl;
	size_t len = in->length ? in->length : in->size;

	m2m_buf_init(m, &m->out, i, &b, &pl);
	if (m->info.dmabuf) {
		if (in->dmabuf_fd < 0)
			return m2m_fail(
			    m, -EINVAL, "DMABUF feed without a dmabuf");
		if (m->info.dev.mplane) {
			pl.m.fd = in->dmabuf_fd;
			pl.length = len;
		} else {
			b.m.fd = in->dmabuf_fd;
			b.length = len;
		}
	} else {
		if (!in->data || in->size > m->out.b[i].len)
			return m2m_fail(m, -EINVAL,
			    "frame of %zu bytes, buffers "
			    "hold %zu",
			    in->size, m->out.b[i].len);
		memcpy(m->out.b[i].p, in->data, in->size);
	}
	if (m->info.dev.mplane)
		pl.bytesused = in->size;
	else
		b.bytesused = in->size;
	b.timestamp.tv_sec = in->ts_us / 1000000;
	b.timestamp.tv_usec = in->ts_us % 1000000;
	b.flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	int r = m2m_ioctl(m->fd, VIDIOC_QBUF, &b);
	if (r < 0)
		return m2m_fail(m, r, "%s: QBUF on OUTPUT: %s",
		    m->info.dev.path, strerror(-r));
	m->out.b[i].busy = 1;
	return 0;
}

/* Copy a dequeued CAPTURE buffer out and queue it again. */
static int
m2m_take_cap(struct m2m *m, const struct v4l2_buffer *b,
    const struct v4l2_plane *pl, struct m2m_packet *ret)
{
	size_t off = m->info.dev.mplane ? pl->data_offset : 0;
	size_t used = m->info.dev.mplane ? pl->bytesused : b->bytesused;
	int r;

	if (b->index >= m->cap.n || used > m->cap.b[b->index].len || off > used)
		return m2m_fail(m, -EIO, "%s returned a bad CAPTURE buffer",
		    m->info.dev.path);
	used -= off;
	if (used > m->coded_cap) {
		uint8_t *p = realloc(m->coded, used);

		if (!p)
			return -ENOMEM;
		m->coded = p;
		m->coded_cap = used;
	}
	memcpy(m->coded, (uint8_t *)m->cap.b[b->index].p + off, used);
	m->cap.b[b->index].busy = 0;
	if (!(b->flags & V4L2_BUF_FLAG_LAST) &&
	    (r = m2m_queue_cap(m, b->index)) < 0)
		return m2m_fail(m, r, "%s: QBUF on CAPTURE: %s",
		    m->info.dev.path, strerror(-r));
	ret->data = m->coded;
	ret->size = used;
	if (b->flags &
	    (V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME |
		V4L2_BUF_FLAG_BFRAME))
		ret->keyframe = !!(b->flags & V4L2_BUF_FLAG_KEYFRAME);
	else /* vicodec's encoder flags neither: read the bitstream */
		ret->keyframe =
		    m2m_coded_keyframe(m->cfg.coded, m->coded, used);
	ret->ts_us = (uint64_t)b->timestamp.tv_sec * 1000000 +
	    (uint64_t)b->timestamp.tv_usec;
	return (b->flags & V4L2_BUF_FLAG_LAST) ? 1 : 0;
}

/* Wait for and take the next CAPTURE buffer: 0, 1 if it was the LAST. */
int
m2m_queue_next_cap(struct m2m *m, struct m2m_packet *ret)
{
	for (;;) {
		struct v4l2_buffer b;
		struct v4l2_plane pl;
		int r;

		m2m_buf_init(m, &m->cap, 0, &b, &pl);
		r = m2m_ioctl(m->fd, VIDIOC_DQBUF, &b);
		if (r == 0)
			return m2m_take_cap(m, &b, &pl, ret);
		if (r == -EPIPE)
			return m2m_fail(
			    m, r, "%s: already drained", m->info.dev.path);
		if (r != -EAGAIN)
			return m2m_fail(m, r, "%s: DQBUF on CAPTURE: %s",
			    m->info.dev.path, strerror(-r));
		if ((r = m2m_wait(m, POLLIN)) < 0)
			return r;
	}
}
