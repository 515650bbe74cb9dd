/*
 * lines.c -- the configured lines: collected from the config, resolved and
 * checked on a backend, requested for the daemon's lifetime.
 *
 * Outputs are requested with their inactive value as the initial one, so the
 * first thing a restarted daemon does is let go of a button a crashed one
 * may have left pressed; they are driven inactive again before release.
 * Inputs follow edge events: an edge (re)starts a debounce timer and the
 * value is read when the line has been quiet that long, so a bouncing or
 * blinking LED costs one read, not one per edge.  A chip without edge events
 * is polled every poll_ms, through the same debounce.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "kvm-config.h"

#include "error.h"
#include "lines.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

struct line {
	struct lines *ls;
	struct linespec spec;
	size_t index;
	char chip[LINESPEC_CHIP_MAX + 1];
	struct lines_handle *h;
	int value;  /* -1 unknown */
	int events; /* edge events, not polling */
	int debounce_ms;
	struct event *ev_edge;
	struct event *ev_debounce;
	struct event *ev_poll;
	uint64_t changes;
	struct log_once err;
};

struct lines {
	struct line **v;
	size_t n;
	const struct lines_backend_ops *ops;
	struct lines_backend *be;
	struct event_base *base;
	int checked;
	void (*change_cb)(struct line *, int, void *);
	void *change_arg;
};

extern const struct lines_backend_ops testbackend_ops;
#if HAVE_LIBGPIOD_V2
/* gpiodv2.c is not written yet: see README.md, "libgpiod 2.x". */
#else
extern const struct lines_backend_ops gpiodv1_ops;
#endif

/* Looks a backend up by name. */
const struct lines_backend_ops *
lines_backend_find(const char *name)
{
	if (strcmp(name, "test") == 0)
		return &testbackend_ops;
#if !HAVE_LIBGPIOD_V2
	if (strcmp(name, "gpiod") == 0)
		return &gpiodv1_ops;
#endif
	return NULL;
}

/* Monotonic time in milliseconds. */
double
lines_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Creates an empty set of lines. */
struct lines *
lines_new(void)
{
	return xcalloc(1, sizeof(struct lines));
}

/* Frees the set, closing it first. */
void
lines_free(struct lines *ls)
{
	size_t i;

	if (ls == NULL)
		return;
	lines_close(ls);
	if (ls->be != NULL)
		ls->ops->close(ls->be);
	for (i = 0; i < ls->n; i++)
		free(ls->v[i]);
	free(ls->v);
	free(ls);
}

/* Adds a parsed spec; a name may be used once. */
int
lines_add_spec(struct lines *ls, const struct linespec *spec)
{
	struct line *l;

	if (lines_find(ls, spec->name) != NULL)
		return error_set(-EINVAL,
		    "%s%s is given twice; each line name may appear once",
		    spec->role == LINESPEC_USER ? "line." : "", spec->name);
	l = xcalloc(1, sizeof(*l));
	l->ls = ls;
	l->spec = *spec;
	l->index = ls->n;
	l->value = -1;
	ls->v = xreallocarray(ls->v, ls->n + 1, sizeof(*ls->v));
	ls->v[ls->n++] = l;
	ls->checked = 0;
	return 0;
}

/* Adds a config entry if its key names a line. */
int
lines_add(struct lines *ls, const char *key, const char *value)
{
	struct linespec spec;
	enum linespec_role role;
	int r;

	if ((r = linespec_key(key, &role)) < 0)
		return r;
	if ((r = linespec_parse(key, value, &spec)) < 0)
		return r;
	return lines_add_spec(ls, &spec);
}

/* Copies the current error message (or strerror) out of error_get()'s
 * buffer, so that it can be quoted in a new one. */
static const char *
why(int r, char *buf, size_t len)
{
	const char *e = error_get();

	snprintf(buf, len, "%s", e != NULL ? e : strerror(r < 0 ? -r : r));
	return buf;
}

/* config_spec.extra_key: takes the line keys of [gpiod-ctl].  The config
 * loader puts the key in front of the message, so it is not repeated. */
int
lines_config_key(const char *key, const char *value, void *arg)
{
	char msg[512];
	size_t klen = strlen(key);
	int r;

	if ((r = lines_add(arg, key, value)) >= 0 || r == -ENOENT)
		return r;
	snprintf(msg, sizeof(msg), "%s", error_get() ? error_get() : "");
	if (strncmp(msg, key, klen) == 0 && strncmp(msg + klen, " = ", 3) == 0)
		return error_set(r, "%s", msg + klen + 3);
	if (strncmp(msg, key, klen) == 0 && strncmp(msg + klen, ": ", 2) == 0)
		return error_set(r, "%s", msg + klen + 2);
	return error_set(r, "%s", msg);
}

/* Adds a line or replaces the one of the same name (the command line
 * wins over the config file). */
int
lines_put(struct lines *ls, const char *key, const char *value)
{
	struct linespec spec;
	enum linespec_role role;
	struct line *l;
	int r;

	if ((r = linespec_key(key, &role)) < 0)
		return r;
	if ((r = linespec_parse(key, value, &spec)) < 0)
		return r;
	if ((l = lines_find(ls, spec.name)) == NULL)
		return lines_add_spec(ls, &spec);
	if (l->h != NULL)
		return error_set(-EBUSY, "%s is open; cannot replace it", key);
	l->spec = spec;
	ls->checked = 0;
	return 0;
}

/* A --line option, "KEY=VALUE" as a config line would say it: lines_put()
 * of the two halves.  The messages start with "--line", for stderr. */
int
lines_put_arg(struct lines *ls, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char key[64], q[80], msg[512];
	int r;

	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(key)) {
		utf8_quote(arg, strlen(arg), q, sizeof(q));
		return error_set(-EINVAL,
		    "--line \"%s\": write KEY=VALUE, e.g. --line power-button=gpiochip0:23",
		    q);
	}
	snprintf(key, sizeof(key), "%.*s", (int)(eq - arg), arg);
	if ((r = lines_put(ls, key, eq + 1)) == -ENOENT) {
		utf8_quote(key, strlen(key), q, sizeof(q));
		return error_set(-EINVAL,
		    "--line %s: not a line key (power-button, reset-button, power-led, hdd-led, capture-reset, hid-reset or line.NAME)",
		    q);
	}
	if (r < 0)
		return error_set(r, "--line %s: %s",
		    utf8_quote(key, strlen(key), q, sizeof(q)),
		    why(r, msg, sizeof(msg)));
	return 0;
}

/* The key a line was configured under, for messages. */
static const char *
line_key(const struct line *l, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", l->spec.role == LINESPEC_USER ? "line." : "",
	    l->spec.name);
	return buf;
}

/* Opens the backend, resolves chips and offsets and refuses shared lines. */
int
lines_check(struct lines *ls, const struct lines_config *cfg)
{
	struct line *l, *o;
	char k1[48], k2[48], w[256];
	unsigned int nlines;
	size_t i, j;
	int r;

	if (ls->checked)
		return 0;
	if (ls->be == NULL) {
		if ((ls->ops = lines_backend_find(cfg->backend)) == NULL &&
		    strcmp(cfg->backend, "gpiod") == 0)
			return error_set(-EINVAL,
			    "this gpiod-ctl was built for libgpiod 2.x, whose backend is not written yet (gpiod-ctl/README.md); only the 'test' backend is available");
		if (ls->ops == NULL)
			return error_set(-EINVAL,
			    "backend '%s' is unknown; use 'gpiod' (or 'test' for tests and demos)",
			    cfg->backend);
		if ((r = ls->ops->open(&ls->be)) < 0)
			return r;
	}
	for (i = 0; i < ls->n; i++) {
		l = ls->v[i];
		r = ls->ops->chip(
		    ls->be, l->spec.chip, l->chip, sizeof(l->chip), &nlines);
		if (r < 0)
			return error_set(r, "%s = %s:%u: %s",
			    line_key(l, k1, sizeof(k1)), l->spec.chip,
			    l->spec.offset, why(r, w, sizeof(w)));
		if (l->spec.offset >= nlines)
			return error_set(-ENODEV,
			    "%s = %s:%u: chip %s has %u lines (offsets 0-%u); there is no line %u",
			    line_key(l, k1, sizeof(k1)), l->spec.chip,
			    l->spec.offset, l->chip, nlines,
			    nlines ? nlines - 1 : 0, l->spec.offset);
		for (j = 0; j < i; j++) {
			o = ls->v[j];
			if (strcmp(o->chip, l->chip) == 0 &&
			    o->spec.offset == l->spec.offset)
				return error_set(-EINVAL,
				    "%s and %s both use %s:%u; a line can have one role only",
				    line_key(o, k1, sizeof(k1)),
				    line_key(l, k2, sizeof(k2)), l->chip,
				    l->spec.offset);
		}
	}
	ls->checked = 1;
	return 0;
}

/* Reads an input now and reports a change. */
static void
line_sample(struct line *l)
{
	char k[48], w[256];
	int v, r;

	if ((r = l->ls->ops->get(l->h, &v)) < 0) {
		log_once_warnx(&l->err, "%s: cannot read %s:%u: %s",
		    line_key(l, k, sizeof(k)), l->chip, l->spec.offset,
		    why(r, w, sizeof(w)));
		return;
	}
	log_once_reset(&l->err);
	if (v == l->value)
		return;
	l->value = v;
	l->changes++;
	if (l->ls->change_cb != NULL)
		l->ls->change_cb(l, v, l->ls->change_arg);
}

/* A change was seen: read once the line has been quiet for debounce_ms. */
static void
line_changed(struct line *l, int restart)
{
	struct timeval tv;

	if (l->debounce_ms == 0) {
		line_sample(l);
		return;
	}
	if (!restart && evtimer_pending(l->ev_debounce, NULL))
		return;
	tv.tv_sec = l->debounce_ms / 1000;
	tv.tv_usec = (l->debounce_ms % 1000) * 1000;
	evtimer_add(l->ev_debounce, &tv);
}

/* Edge events arrived: restart the debounce. */
static void
edge_cb(evutil_socket_t fd, short what, void *arg)
{
	struct line *l = arg;
	char k[48], w[256];
	int r;

	if ((r = l->ls->ops->event_read(l->h)) < 0) {
		if (r == -EAGAIN)
			return;
		log_once_warnx(&l->err, "%s: reading edge events: %s",
		    line_key(l, k, sizeof(k)), why(r, w, sizeof(w)));
		return;
	}
	line_changed(l, 1);
}

/* The debounce ran out: take the value. */
static void
debounce_cb(evutil_socket_t fd, short what, void *arg)
{
	line_sample(arg);
}

/* The polling fallback: a differing read starts the debounce. */
static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct line *l = arg;
	int v;

	if (l->ls->ops->get(l->h, &v) < 0) {
		line_sample(l); /* logs once */
		return;
	}
	if (v != l->value)
		line_changed(l, 0);
}

/* Requests one line and starts following it if it is an input. */
static int
line_open(struct lines *ls, struct line *l, const struct lines_config *cfg)
{
	struct lines_request req;
	struct timeval tv;
	char consumer[80], k[48], w[256];
	int r, fd;

	snprintf(
	    consumer, sizeof(consumer), "%s:%s", cfg->consumer, l->spec.name);
	consumer[31] = '\0'; /* the kernel keeps 31 characters */
	memset(&req, 0, sizeof(req));
	req.chip = l->chip;
	req.offset = l->spec.offset;
	req.dir = l->spec.dir;
	req.active_low = l->spec.active_low;
	req.bias = l->spec.bias;
	req.drive = l->spec.drive;
	req.value = 0;
	req.edges = !l->spec.poll;
	req.consumer = consumer;
	if ((r = ls->ops->request(ls->be, &req, &l->h, &l->events)) < 0)
		return error_set(r, "%s = %s:%u: %s", line_key(l, k, sizeof(k)),
		    l->spec.chip, l->spec.offset, why(r, w, sizeof(w)));
	if (l->spec.dir == LINESPEC_OUTPUT) {
		l->value = 0;
		return 0;
	}
	l->debounce_ms =
	    l->spec.debounce_ms >= 0 ? l->spec.debounce_ms : cfg->debounce_ms;
	l->ev_debounce = evtimer_new(ls->base, debounce_cb, l);
	if (l->events && (fd = ls->ops->event_fd(l->h)) >= 0) {
		l->ev_edge =
		    event_new(ls->base, fd, EV_READ | EV_PERSIST, edge_cb, l);
		event_add(l->ev_edge, NULL);
	} else {
		l->events = 0;
		l->ev_poll = event_new(ls->base, -1, EV_PERSIST, poll_cb, l);
		tv.tv_sec = cfg->poll_ms / 1000;
		tv.tv_usec = (cfg->poll_ms % 1000) * 1000;
		event_add(l->ev_poll, &tv);
	}
	if ((r = ls->ops->get(l->h, &l->value)) < 0)
		return error_set(r, "%s: cannot read %s:%u: %s",
		    line_key(l, k, sizeof(k)), l->chip, l->spec.offset,
		    why(r, w, sizeof(w)));
	return 0;
}

/* Requests every line; on failure nothing stays requested. */
int
lines_open(
    struct lines *ls, struct event_base *base, const struct lines_config *cfg)
{
	size_t i;
	int r;

	if ((r = lines_check(ls, cfg)) < 0)
		return r;
	ls->base = base;
	for (i = 0; i < ls->n; i++) {
		if ((r = line_open(ls, ls->v[i], cfg)) < 0) {
			lines_close(ls);
			return r;
		}
	}
	return 0;
}

/* Drives outputs inactive, stops following inputs, releases all. */
void
lines_close(struct lines *ls)
{
	struct line *l;
	size_t i;

	for (i = 0; i < ls->n; i++) {
		l = ls->v[i];
		if (l->h != NULL && l->spec.dir == LINESPEC_OUTPUT)
			ls->ops->set(l->h, 0);
		if (l->ev_edge != NULL)
			event_free(l->ev_edge);
		if (l->ev_debounce != NULL)
			event_free(l->ev_debounce);
		if (l->ev_poll != NULL)
			event_free(l->ev_poll);
		l->ev_edge = l->ev_debounce = l->ev_poll = NULL;
		if (l->h != NULL)
			ls->ops->release(l->h);
		l->h = NULL;
		l->value = -1;
	}
}

/* Number of configured lines. */
size_t
lines_count(const struct lines *ls)
{
	return ls->n;
}

/* The i-th line in config order. */
struct line *
lines_at(struct lines *ls, size_t i)
{
	return i < ls->n ? ls->v[i] : NULL;
}

/* A line by name ("power-led", or a user line's NAME). */
struct line *
lines_find(struct lines *ls, const char *name)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (strcmp(ls->v[i]->spec.name, name) == 0)
			return ls->v[i];
	return NULL;
}

/* The line with a role, or NULL when none is configured. */
struct line *
lines_role(struct lines *ls, enum linespec_role role)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (ls->v[i]->spec.role == role)
			return ls->v[i];
	return NULL;
}

/* The backend instance (NULL before lines_check()). */
struct lines_backend *
lines_backend(struct lines *ls)
{
	return ls->be;
}

/* The backend's name ("gpiod", "test"). */
const char *
lines_backend_name(const struct lines *ls)
{
	return ls->ops != NULL ? ls->ops->name : "none";
}

/* The line's spec. */
const struct linespec *
lines_spec(const struct line *l)
{
	return &l->spec;
}

/* The line's position in config order. */
size_t
lines_index(const struct line *l)
{
	return l->index;
}

/* The canonical chip name after lines_check(). */
const char *
lines_chip(const struct line *l)
{
	return l->chip;
}

/* The current logical value. */
int
lines_value(const struct line *l)
{
	return l->value;
}

/* Whether an input follows edge events rather than polling. */
int
lines_has_events(const struct line *l)
{
	return l->events;
}

/* How many debounced changes an input has seen. */
uint64_t
lines_changes(const struct line *l)
{
	return l->changes;
}

/* Drives an output to a logical value. */
int
lines_set(struct line *l, int value)
{
	char k[48], w[256];
	int r;

	if (l->spec.dir != LINESPEC_OUTPUT)
		return error_set(-EINVAL, "%s is an input; it cannot be driven",
		    line_key(l, k, sizeof(k)));
	if (l->h == NULL)
		return error_set(
		    -ENODEV, "%s is not open", line_key(l, k, sizeof(k)));
	if ((r = l->ls->ops->set(l->h, value ? 1 : 0)) < 0)
		return error_set(r, "%s: cannot drive %s:%u: %s",
		    line_key(l, k, sizeof(k)), l->chip, l->spec.offset,
		    why(r, w, sizeof(w)));
	l->value = value ? 1 : 0;
	return 0;
}

/* Registers the callback for debounced input changes. */
void
lines_on_change(
    struct lines *ls, void (*cb)(struct line *, int, void *), void *arg)
{
	ls->change_cb = cb;
	ls->change_arg = arg;
}
