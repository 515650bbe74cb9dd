/*
 * frame.c -- reference-counted frames and a pool of reusable buffers.
 *
 * Producers (the capture loop, encoder threads) take buffers from a pool so
 * that steady streaming allocates nothing; clients on the loop thread and
 * encoder threads drop references concurrently, hence the atomic count and
 * the pool's mutex.  The pool itself is counted too: it lives until it has
 * been freed by its owner and every frame it handed out has come back.
 */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "frame.h"
#include "log.h"
#include "xmalloc.h"

static void frame_free_buf(struct frame *);

struct frame_pool {
	pthread_mutex_t lock;
	atomic_uint refs; /* owner + frames out */
	struct frame **idle;
	unsigned int nidle, keep;
	uint64_t allocs;
};

/* Drop one reference to the pool; the last one frees it. */
static void
frame_pool_release(struct frame_pool *p)
{
	unsigned int i;

	if (atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	for (i = 0; i < p->nidle; i++) {
		frame_free_buf(p->idle[i]);
		free(p->idle[i]);
	}
	free(p->idle);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/*
 * Large buffers are mapped, not malloc'ed: their pages are given back to
 * the system when freed and only the pages a JPEG really fills count as
 * resident, so capd's memory follows the frames it holds, whatever the
 * allocator's thresholds and arenas.
 */
#define FRAME_MMAP_MIN (256 * 1024)

/* Give a frame's buffer back. */
static void
frame_free_buf(struct frame *f)
{
	if (f->buf == NULL)
		return;
	if (f->buf_size >= FRAME_MMAP_MIN)
		munmap(f->buf, f->buf_size);
	else
		free(f->buf);
	f->buf = NULL;
}

/* Allocate a buffer with room for cap bytes plus head- and tailroom. */
static void
frame_alloc_buf(struct frame *f, size_t cap)
{
	size_t n = FRAME_HEADROOM + cap + FRAME_TAILROOM;
	void *m;

	frame_free_buf(f);
	if (n >= FRAME_MMAP_MIN) {
		m = mmap(NULL, n, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			fatal("cannot map a %zu-byte frame", n);
		f->buf = m;
	} else
		f->buf = xmalloc(n);
	f->buf_size = n;
	f->data = f->buf + FRAME_HEADROOM;
	f->cap = cap;
}

/* Make a pool that keeps at most keep idle buffers. */
struct frame_pool *
frame_pool_new(unsigned int keep)
{
	struct frame_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	atomic_init(&p->refs, 1);
	p->keep = keep;
	p->idle = xcalloc(keep ? keep : 1, sizeof(*p->idle));
	return p;
}

/* The owner lets go; frames still out keep the pool alive. */
void
frame_pool_free(struct frame_pool *p)
{
	if (p != NULL)
		frame_pool_release(p);
}

/* Reset the fields a producer fills, keeping the buffer. */
static void
frame_reset(struct frame *f)
{
	atomic_init(&f->refs, 1);
	f->len = 0;
	f->format = FRAME_JPEG;
	f->width = f->height = f->stride = 0;
	f->full_range = 0;
	f->bt709 = 0;
	f->seq = 0;
	f->ts_us = f->mono_us = 0;
	f->hash = 0;
	f->part_off = f->part_len = 0;
}

/* Take an idle buffer big enough (the largest otherwise, grown) or a new one. */
struct frame *
frame_pool_get(struct frame_pool *p, size_t cap)
{
	struct frame *f = NULL;
	unsigned int i, best = 0;

	pthread_mutex_lock(&p->lock);
	if (p->nidle > 0) {
		for (i = 0; i < p->nidle; i++) {
			if (p->idle[i]->cap >= cap) {
				best = i;
				break;
			}
			if (p->idle[i]->cap > p->idle[best]->cap)
				best = i;
		}
		f = p->idle[best];
		p->idle[best] = p->idle[--p->nidle];
	} else
		p->allocs++;
	pthread_mutex_unlock(&p->lock);
	if (f == NULL)
		f = xcalloc(1, sizeof(*f));
	if (f->buf == NULL || f->cap < cap)
		frame_alloc_buf(f, cap);
	frame_reset(f);
	f->pool = p;
	atomic_fetch_add(&p->refs, 1);
	return f;
}

/* How many idle buffers wait in the pool. */
unsigned int
frame_pool_idle(struct frame_pool *p)
{
	unsigned int n;

	pthread_mutex_lock(&p->lock);
	n = p->nidle;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* How many buffers the pool has allocated in all. */
uint64_t
frame_pool_allocs(struct frame_pool *p)
{
	uint64_t n;

	pthread_mutex_lock(&p->lock);
	n = p->allocs;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* A frame outside any pool. */
struct frame *
frame_new(size_t cap)
{
	struct frame *f = xcalloc(1, sizeof(*f));

	frame_alloc_buf(f, cap);
	frame_reset(f);
	return f;
}

/* Take one more reference. */
struct frame *
frame_ref(struct frame *f)
{
	unsigned int old = atomic_fetch_add(&f->refs, 1);

	assert(old > 0);
	return f;
}

/* Drop a reference; the last one returns the buffer to its pool. */
void
frame_unref(struct frame *f)
{
	struct frame_pool *p;
	unsigned int old;

	if (f == NULL)
		return;
	old = atomic_fetch_sub(&f->refs, 1);
	assert(old > 0);
	if (old != 1)
		return;
	if (f->release != NULL) {
		f->release(f);
		return;
	}
	if ((p = f->pool) != NULL) {
		f->pool = NULL;
		pthread_mutex_lock(&p->lock);
		if (p->nidle < p->keep && atomic_load(&p->refs) > 1) {
			p->idle[p->nidle++] = f;
			f = NULL;
		}
		pthread_mutex_unlock(&p->lock);
	}
	if (f != NULL) {
		frame_free_buf(f);
		free(f);
	}
	if (p != NULL)
		frame_pool_release(p);
}

/* A short name for /state: "MJPEG", "YUYV". */
const char *
frame_format_name(enum frame_format fmt)
{
	switch (fmt) {
	case FRAME_JPEG:
		return "MJPEG";
	case FRAME_YUYV:
		return "YUYV";
	case FRAME_UYVY:
		return "UYVY";
	case FRAME_NV12:
		return "NV12";
	case FRAME_RGB24:
		return "RGB24";
	case FRAME_BGR24:
		return "BGR24";
	case FRAME_H264:
		return "H.264";
	}
	return "?";
}

/* Bytes of a tightly packed raw frame. */
size_t
frame_raw_size(enum frame_format fmt, unsigned int w, unsigned int h)
{
	switch (fmt) {
	case FRAME_YUYV:
	case FRAME_UYVY:
		return (size_t)w * h * 2;
	case FRAME_NV12:
		return (size_t)w * h + (size_t)w * ((h + 1) / 2);
	case FRAME_RGB24:
	case FRAME_BGR24:
		return (size_t)w * h * 3;
	case FRAME_JPEG:
	case FRAME_H264:
		break;
	}
	return 0;
}

/* Wall-clock microseconds. */
int64_t
frame_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Monotonic microseconds. */
int64_t
frame_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* This thread's CPU time in microseconds. */
int64_t
frame_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* FNV-1a, 8 bytes at a time for speed; never 0. */
uint64_t
frame_hash(const struct frame *f)
{
	const uint8_t *p = f->data;
	uint64_t h = 1469598103934665603ULL, w;
	size_t i = 0;

	for (; i + 8 <= f->len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 1099511628211ULL;
	}
	for (; i < f->len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h ? h : 1;
}
