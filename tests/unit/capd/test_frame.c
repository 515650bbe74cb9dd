/*
 * test_frame.c -- frame reference counting and the buffer pool.
 */
#include <pthread.h>
#include <stdlib.h>

#include "frame.h"
#include "tap.h"

#define NTHREADS 4
#define NREFS	 10000

static struct frame *shared;

/* Drop NREFS references taken beforehand, from another thread. */
static void *
unref_many(void *arg)
{
	int i;

	for (i = 0; i < NREFS; i++)
		frame_unref(shared);
	return NULL;
}

struct lent {
	struct frame f; /* first: released as one */
	int released;
};

/* A lent frame's release: counts, frees nothing (the test owns it). */
static void
lent_release(struct frame *f)
{
	((struct lent *)f)->released++;
}

/* The pool: references, reuse, growth, its size limit; frames outlive it. */
static void
test_pool(void)
{
	struct frame_pool *pool;
	struct frame *a;
	struct frame *b;
	struct frame *c;
	uint8_t *buf_a;

	pool = frame_pool_new(2);
	a = frame_pool_get(pool, 1000);
	ok(a != NULL && a->cap >= 1000, "pool gives a frame with room");
	is_int(atomic_load(&a->refs), 1, "a new frame has one reference");
	ok(a->data == a->buf + FRAME_HEADROOM, "data follows the headroom");
	buf_a = a->buf;
	frame_ref(a);
	frame_unref(a);
	is_int(frame_pool_idle(pool), 0, "a referenced frame stays out");
	frame_unref(a);
	is_int(frame_pool_idle(pool), 1, "the last unref returns the buffer");
	b = frame_pool_get(pool, 500);
	ok(b->buf == buf_a, "a returned buffer is reused");
	is_int(frame_pool_allocs(pool), 1, "no new allocation for reuse");
	is_int(b->len, 0, "a reused frame is reset");
	c = frame_pool_get(pool, 5000);
	ok(c->cap >= 5000, "a bigger request gets a bigger buffer");
	is_int(frame_pool_allocs(pool), 2, "which is a new allocation");
	frame_unref(b);
	frame_unref(c);
	is_int(frame_pool_idle(pool), 2, "both back");
	a = frame_pool_get(pool, 100);
	b = frame_pool_get(pool, 100);
	c = frame_pool_get(pool, 100);
	frame_unref(a);
	frame_unref(b);
	frame_unref(c);
	is_int(frame_pool_idle(pool), 2, "the pool keeps no more than asked");

	/* frames outlive their pool */
	a = frame_pool_get(pool, 100);
	frame_pool_free(pool);
	a->data[0] = 42;
	ok(a->data[0] == 42, "a frame is usable after its pool is freed");
	frame_unref(a); /* frees the pool too (ASan would complain) */
}

/* Concurrent unrefs from threads; raw frame sizes. */
static void
test_concurrent_unrefs(void)
{
	pthread_t th[NTHREADS];
	int i;

	shared = frame_new(64);
	for (i = 0; i < NTHREADS * NREFS; i++)
		frame_ref(shared);
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, unref_many, NULL);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	is_int(atomic_load(&shared->refs), 1,
	    "concurrent unrefs from %d threads leave exactly one", NTHREADS);
	frame_unref(shared);
	frame_unref(NULL);
	ok(1, "frame_unref(NULL) is fine");

	is_int(
	    frame_raw_size(FRAME_YUYV, 640, 480), 640 * 480 * 2, "YUYV size");
	is_int(frame_raw_size(FRAME_NV12, 640, 480), 640 * 480 * 3 / 2,
	    "NV12 size");
}

/* A lent frame: released once, on the last unref, from any thread. */
static void
test_lent_frame(void)
{
	pthread_t th[NTHREADS];
	int i;

	{
		static uint8_t bytes[64];
		struct lent l = {.released = 0};

		atomic_init(&l.f.refs, 1);
		l.f.data = bytes;
		l.f.cap = sizeof(bytes);
		l.f.release = lent_release;
		shared = &l.f;
		for (i = 0; i < NTHREADS * NREFS; i++)
			frame_ref(&l.f);
		for (i = 0; i < NTHREADS; i++)
			pthread_create(&th[i], NULL, unref_many, NULL);
		for (i = 0; i < NTHREADS; i++)
			pthread_join(th[i], NULL);
		is_int(l.released, 0, "not released while a reference is left");
		frame_unref(&l.f);
		is_int(l.released, 1, "released once, on the last unref");
	}
}

int
main(void)
{
	test_pool();
	test_concurrent_unrefs();
	test_lent_frame();
	return tap_done();
}
