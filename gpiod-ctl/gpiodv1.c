/*
 * gpiodv1.c -- the real backend on libgpiod 1.x (Debian 12 ships 1.6).
 *
 * Chips are looked up the way gpiodetect users write them (name, /dev path,
 * number or label) and kept open for the daemon's lifetime.  Active-low,
 * bias and drive are request flags, so the kernel does the inverting and the
 * values seen here are logical.  Inputs ask for both-edge events; a chip
 * whose lines have no interrupt refuses that, and the line is requested as
 * a plain input for lines.c to poll.  A libgpiod 2.x backend (request
 * configs, edge event buffers) goes in gpiodv2.c with the same vtable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gpiod.h>

#include "error.h"
#include "lines.h"
#include "xmalloc.h"

struct lines_backend {
	struct gpiod_chip **chips;
	size_t n;
};

struct lines_handle {
	struct gpiod_line *line;
};

/* Starts with no chip open. */
static int
v1_open(struct lines_backend **ret)
{
	*ret = xcalloc(1, sizeof(struct lines_backend));
	return 0;
}

/* Closes every chip (and so releases their lines). */
static void
v1_close(struct lines_backend *be)
{
	size_t i;

	if (be == NULL)
		return;
	for (i = 0; i < be->n; i++)
		gpiod_chip_close(be->chips[i]);
	free(be->chips);
	free(be);
}

/* Returns an open chip by description, opening it once. */
static int
v1_lookup(struct lines_backend *be, const char *descr, struct gpiod_chip **ret)
{
	struct gpiod_chip *c;
	size_t i;
	int e;

	errno = 0;
	if ((c = gpiod_chip_open_lookup(descr)) == NULL) {
		e = errno ? errno : ENOENT;
		if (e == ENOENT || e == ENODEV || e == ENOTTY)
			return error_set(-ENODEV,
			    "no GPIO chip '%s' (gpiodetect lists the chips by name and label)",
			    descr);
		return error_set(
		    -e, "cannot open GPIO chip '%s': %s", descr, strerror(e));
	}
	for (i = 0; i < be->n; i++) {
		if (strcmp(gpiod_chip_name(be->chips[i]), gpiod_chip_name(c)) ==
		    0) {
			gpiod_chip_close(c);
			*ret = be->chips[i];
			return 0;
		}
	}
	be->chips = xreallocarray(be->chips, be->n + 1, sizeof(*be->chips));
	be->chips[be->n++] = c;
	*ret = c;
	return 0;
}

/* Resolves a chip to its canonical name and number of lines. */
static int
v1_chip(struct lines_backend *be, const char *chip, char *ret_name, size_t len,
    unsigned int *ret_nlines)
{
	struct gpiod_chip *c;
	int r;

	if ((r = v1_lookup(be, chip, &c)) < 0)
		return r;
	snprintf(ret_name, len, "%s", gpiod_chip_name(c));
	*ret_nlines = gpiod_chip_num_lines(c);
	return 0;
}

/* Maps the spec's flags to libgpiod request flags. */
static int
v1_flags(const struct lines_request *req)
{
	int f = 0;

	if (req->active_low)
		f |= GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW;
	switch (req->bias) {
	case LINESPEC_BIAS_DISABLE:
		f |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
		break;
	case LINESPEC_BIAS_PULL_UP:
		f |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
		break;
	case LINESPEC_BIAS_PULL_DOWN:
		f |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
		break;
	default:
		break;
	}
	if (req->drive == LINESPEC_OPEN_DRAIN)
		f |= GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN;
	else if (req->drive == LINESPEC_OPEN_SOURCE)
		f |= GPIOD_LINE_REQUEST_FLAG_OPEN_SOURCE;
	return f;
}

/* Says why a request failed, naming the other consumer when busy. */
static int
v1_request_error(
    struct gpiod_line *line, const struct lines_request *req, int e)
{
	const char *who;

	if (e == EBUSY) {
		who = gpiod_line_update(line) == 0 ? gpiod_line_consumer(line)
						   : NULL;
		return error_set(-EBUSY,
		    "line %s:%u is in use by \"%s\"; stop that program or pick another line",
		    req->chip, req->offset, who ? who : "another consumer");
	}
	return error_set(-e, "cannot request line %s:%u as %s: %s", req->chip,
	    req->offset, linespec_dir_name(req->dir), strerror(e));
}

/* Requests a line: outputs at their initial value, inputs with edges if
 * the chip has them. */
static int
v1_request(struct lines_backend *be, const struct lines_request *req,
    struct lines_handle **ret, int *ret_events)
{
	struct gpiod_chip *c;
	struct gpiod_line *line;
	struct lines_handle *h;
	int flags = v1_flags(req), events = 0, fd, r;

	if ((r = v1_lookup(be, req->chip, &c)) < 0)
		return r;
	if ((line = gpiod_chip_get_line(c, req->offset)) == NULL)
		return error_set(
		    -ENODEV, "chip %s has no line %u", req->chip, req->offset);
	if (req->dir == LINESPEC_OUTPUT) {
		if (gpiod_line_request_output_flags(
			line, req->consumer, flags, req->value) == -1)
			return v1_request_error(line, req, errno);
	} else if (req->edges &&
	    gpiod_line_request_both_edges_events_flags(
		line, req->consumer, flags) == 0) {
		events = 1;
		fd = gpiod_line_event_get_fd(line);
		if (fd >= 0)
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	} else {
		if (req->edges &&
		    (errno == EBUSY || errno == EPERM || errno == EACCES))
			return v1_request_error(line, req, errno);
		/* Polling asked for, or no interrupt for this line. */
		if (gpiod_line_request_input_flags(
			line, req->consumer, flags) == -1)
			return v1_request_error(line, req, errno);
	}
	h = xcalloc(1, sizeof(*h));
	h->line = line;
	*ret = h;
	*ret_events = events;
	return 0;
}

/* Releases a line. */
static void
v1_release(struct lines_handle *h)
{
	if (h == NULL)
		return;
	gpiod_line_release(h->line);
	free(h);
}

/* Reads the logical value. */
static int
v1_get(struct lines_handle *h, int *ret_value)
{
	int v;

	if ((v = gpiod_line_get_value(h->line)) == -1)
		return error_set(-errno, "%s", strerror(errno));
	*ret_value = v;
	return 0;
}

/* Drives the logical value. */
static int
v1_set(struct lines_handle *h, int value)
{
	if (gpiod_line_set_value(h->line, value) == -1)
		return error_set(-errno, "%s", strerror(errno));
	return 0;
}

/* The line's event fd, or -1. */
static int
v1_event_fd(struct lines_handle *h)
{
	return gpiod_line_event_get_fd(h->line);
}

/* Reads what edge events are pending (never blocks: the fd is
 * non-blocking). */
static int
v1_event_read(struct lines_handle *h)
{
	struct gpiod_line_event ev[16];
	int fd, n;

	if ((fd = gpiod_line_event_get_fd(h->line)) < 0)
		return error_set(-EINVAL, "line has no edge events");
	if ((n = gpiod_line_event_read_fd_multiple(fd, ev, 16)) == -1)
		return errno == EAGAIN
		    ? -EAGAIN
		    : error_set(-errno, "%s", strerror(errno));
	return n;
}

const struct lines_backend_ops gpiodv1_ops = {
    .name = "gpiod",
    .open = v1_open,
    .close = v1_close,
    .chip = v1_chip,
    .request = v1_request,
    .release = v1_release,
    .get = v1_get,
    .set = v1_set,
    .event_fd = v1_event_fd,
    .event_read = v1_event_read,
};
