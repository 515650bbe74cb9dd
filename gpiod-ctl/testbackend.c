/*
 * testbackend.c -- the test-only backend: GPIO lines simulated in memory.
 *
 * Named "test" everywhere it shows (--backend test, /state's "backend") so
 * that nobody mistakes it for hardware.  It behaves like a chardev chip where
 * that matters to the daemon: lines are requested once (a second request is
 * -EBUSY), active-low inverts between the logical value and the physical
 * level, an input on an edge-capable chip gets an event fd (an eventfd that
 * becomes readable when a test changes the level), and the chip without edge
 * events makes the daemon fall back to polling.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "error.h"
#include "lines.h"
#include "testbackend.h"
#include "xmalloc.h"

#define NCHIPS 2

struct testline {
	int requested;
	int set_by_test;
	enum linespec_dir dir;
	int active_low;
	int level;
	int efd; /* -1 unless an input with edges */
	unsigned int fail_sets;
	struct testbackend_sample hist[TESTBACKEND_HISTORY];
	size_t nhist;
};

struct testchip {
	const char *name, *label;
	unsigned int nlines;
	int edges;
	struct testline *lines;
};

struct lines_backend {
	struct testchip chips[NCHIPS];
};

struct lines_handle {
	struct testline *tl;
};

/* Creates the two simulated chips. */
static int
tb_open(struct lines_backend **ret)
{
	static const struct testchip proto[NCHIPS] = {
	    {"gpiochip0", "kvmtest0", 32, 1, NULL},
	    {"gpiochip1", "kvmtest1", 8, 0, NULL},
	};
	struct lines_backend *be;
	unsigned int i, j;

	be = xcalloc(1, sizeof(*be));
	for (i = 0; i < NCHIPS; i++) {
		be->chips[i] = proto[i];
		be->chips[i].lines =
		    xcalloc(proto[i].nlines, sizeof(struct testline));
		for (j = 0; j < proto[i].nlines; j++)
			be->chips[i].lines[j].efd = -1;
	}
	*ret = be;
	return 0;
}

/* Frees the chips. */
static void
tb_close(struct lines_backend *be)
{
	unsigned int i, j;

	if (be == NULL)
		return;
	for (i = 0; i < NCHIPS; i++) {
		for (j = 0; j < be->chips[i].nlines; j++)
			if (be->chips[i].lines[j].efd != -1)
				close(be->chips[i].lines[j].efd);
		free(be->chips[i].lines);
	}
	free(be);
}

/* Finds a chip by name, /dev path, number or label. */
static struct testchip *
tb_find(struct lines_backend *be, const char *chip)
{
	unsigned int i;
	const char *n;

	for (i = 0; i < NCHIPS; i++) {
		n = be->chips[i].name;
		if (strcmp(chip, n) == 0 ||
		    strcmp(chip, be->chips[i].label) == 0 ||
		    (strncmp(chip, "/dev/", 5) == 0 &&
			strcmp(chip + 5, n) == 0) ||
		    strcmp(chip, n + 8) == 0)
			return &be->chips[i];
	}
	return NULL;
}

/* Resolves a chip to its canonical name and size. */
static int
tb_chip(struct lines_backend *be, const char *chip, char *ret_name, size_t len,
    unsigned int *ret_nlines)
{
	struct testchip *c;

	if ((c = tb_find(be, chip)) == NULL)
		return error_set(-ENODEV,
		    "no GPIO chip '%s' (the test backend has gpiochip0 \"kvmtest0\" with 32 lines and gpiochip1 \"kvmtest1\" with 8)",
		    chip);
	snprintf(ret_name, len, "%s", c->name);
	*ret_nlines = c->nlines;
	return 0;
}

/* Finds a simulated line. */
static struct testline *
tb_line(struct lines_backend *be, const char *chip, unsigned int offset)
{
	struct testchip *c;

	if ((c = tb_find(be, chip)) == NULL || offset >= c->nlines)
		return NULL;
	return &c->lines[offset];
}

/* Records the level an output was driven to. */
static void
tb_record(struct testline *tl, int value)
{
	struct testbackend_sample *s;

	if (tl->nhist == TESTBACKEND_HISTORY) {
		memmove(tl->hist, tl->hist + 1,
		    (TESTBACKEND_HISTORY - 1) * sizeof(tl->hist[0]));
		tl->nhist--;
	}
	s = &tl->hist[tl->nhist++];
	s->t_ms = lines_now_ms();
	s->value = value;
	s->level = tl->level;
}

/* Requests a simulated line. */
static int
tb_request(struct lines_backend *be, const struct lines_request *req,
    struct lines_handle **ret, int *ret_events)
{
	struct testchip *c;
	struct testline *tl;
	struct lines_handle *h;

	if ((c = tb_find(be, req->chip)) == NULL || req->offset >= c->nlines)
		return error_set(
		    -ENODEV, "no line %s:%u", req->chip, req->offset);
	tl = &c->lines[req->offset];
	if (tl->requested)
		return error_set(-EBUSY, "line %s:%u is already requested",
		    req->chip, req->offset);
	tl->dir = req->dir;
	tl->active_low = req->active_low;
	*ret_events = 0;
	if (req->dir == LINESPEC_OUTPUT) {
		tl->level = (req->value ? 1 : 0) ^ tl->active_low;
		tb_record(tl, req->value ? 1 : 0);
	} else {
		if (!tl->set_by_test)
			tl->level = req->bias == LINESPEC_BIAS_PULL_UP;
		if (c->edges && req->edges) {
			tl->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			if (tl->efd == -1)
				return error_set(
				    -errno, "eventfd: %s", strerror(errno));
			*ret_events = 1;
		}
	}
	tl->requested = 1;
	h = xcalloc(1, sizeof(*h));
	h->tl = tl;
	*ret = h;
	return 0;
}

/* Releases a simulated line. */
static void
tb_release(struct lines_handle *h)
{
	if (h == NULL)
		return;
	if (h->tl->efd != -1)
		close(h->tl->efd);
	h->tl->efd = -1;
	h->tl->requested = 0;
	free(h);
}

/* Reads the logical value. */
static int
tb_get(struct lines_handle *h, int *ret_value)
{
	*ret_value = h->tl->level ^ h->tl->active_low;
	return 0;
}

/* Drives an output and records it. */
static int
tb_set(struct lines_handle *h, int value)
{
	if (h->tl->dir != LINESPEC_OUTPUT)
		return error_set(-EPERM, "line is an input");
	if (h->tl->fail_sets > 0) {
		h->tl->fail_sets--;
		return error_set(-EIO, "simulated I/O error");
	}
	h->tl->level = (value ? 1 : 0) ^ h->tl->active_low;
	tb_record(h->tl, value ? 1 : 0);
	return 0;
}

/* The eventfd of an input with edges. */
static int
tb_event_fd(struct lines_handle *h)
{
	return h->tl->efd;
}

/* Consumes the pending edge count. */
static int
tb_event_read(struct lines_handle *h)
{
	uint64_t n;

	if (h->tl->efd == -1)
		return error_set(-EINVAL, "line has no edge events");
	if (read(h->tl->efd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return errno == EAGAIN
		    ? -EAGAIN
		    : error_set(-errno, "eventfd read: %s", strerror(errno));
	return (int)(n > 1000 ? 1000 : n);
}

const struct lines_backend_ops testbackend_ops = {
    .name = "test",
    .open = tb_open,
    .close = tb_close,
    .chip = tb_chip,
    .request = tb_request,
    .release = tb_release,
    .get = tb_get,
    .set = tb_set,
    .event_fd = tb_event_fd,
    .event_read = tb_event_read,
};

/* Sets the physical level of a simulated input, raising an edge event. */
int
testbackend_drive(
    struct lines_backend *be, const char *chip, unsigned int offset, int level)
{
	struct testline *tl;
	uint64_t one = 1;

	if ((tl = tb_line(be, chip, offset)) == NULL)
		return error_set(-ENODEV, "no line %s:%u", chip, offset);
	if (tl->requested && tl->dir == LINESPEC_OUTPUT)
		return error_set(-EINVAL,
		    "%s:%u is an output; only inputs can be driven from outside",
		    chip, offset);
	level = level ? 1 : 0;
	tl->set_by_test = 1;
	if (tl->level == level)
		return 0;
	tl->level = level;
	if (tl->efd != -1 && write(tl->efd, &one, sizeof(one)) == -1)
		return error_set(-errno, "eventfd write: %s", strerror(errno));
	return 0;
}

/* The physical level of a simulated line. */
int
testbackend_level(struct lines_backend *be, const char *chip,
    unsigned int offset, int *ret_level)
{
	struct testline *tl;

	if ((tl = tb_line(be, chip, offset)) == NULL)
		return error_set(-ENODEV, "no line %s:%u", chip, offset);
	*ret_level = tl->level;
	return 0;
}

/* The recorded output levels of a simulated line. */
int
testbackend_history(struct lines_backend *be, const char *chip,
    unsigned int offset, const struct testbackend_sample **ret, size_t *ret_n)
{
	struct testline *tl;

	if ((tl = tb_line(be, chip, offset)) == NULL)
		return error_set(-ENODEV, "no line %s:%u", chip, offset);
	*ret = tl->hist;
	*ret_n = tl->nhist;
	return 0;
}

/* Makes the next n sets of a simulated line fail. */
int
testbackend_fail_sets(struct lines_backend *be, const char *chip,
    unsigned int offset, unsigned int n)
{
	struct testline *tl;

	if ((tl = tb_line(be, chip, offset)) == NULL)
		return error_set(-ENODEV, "no line %s:%u", chip, offset);
	tl->fail_sets = n;
	return 0;
}
