/*
 * lines.h -- the daemon's configured GPIO lines over a backend.
 *
 * lines collects the line specs from the config, resolves their chips on a
 * backend (checking that chips and offsets exist and that no line is used
 * twice), requests them for the daemon's lifetime, holds outputs at their
 * inactive level (at start too: a crash mid-press must not leave a button
 * pressed), and follows inputs through edge events with debouncing, or by
 * polling where a chip has no edge events.  Values are logical: 1 means
 * active (pressed, lit) whatever the line's polarity.
 *
 * Backends are small vtables: "gpiod" (libgpiod, gpiodv1.c; a libgpiod 2.x
 * implementation goes beside it as gpiodv2.c, selected by HAVE_LIBGPIOD_V2)
 * and "test" (testbackend.c: lines simulated in memory, for tests and the
 * hardware-free demo only).  Event-loop thread only.
 */
#ifndef GPIOD_CTL_LINES_H
#define GPIOD_CTL_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "linespec.h"

struct event_base;
struct lines;
struct line;
struct lines_backend;
struct lines_handle;

/* What a backend is asked to request. */
struct lines_request {
	const char *chip; /* canonical, from ->chip() */
	unsigned int offset;
	enum linespec_dir dir;
	int active_low;
	enum linespec_bias bias;
	enum linespec_drive drive;
	int value;	      /* outputs: initial, logical */
	int edges;	      /* inputs: ask for edge events */
	const char *consumer; /* "gpiod-ctl:power-button" */
};

struct lines_backend_ops {
	const char *name;
	int (*open)(struct lines_backend **ret);
	void (*close)(struct lines_backend *);
	/* Resolves a chip written as name, path, number or label: its
	 * canonical name ("gpiochip0") and number of lines.  -ENODEV when
	 * there is no such chip. */
	int (*chip)(struct lines_backend *, const char *chip, char *ret_name,
	    size_t len, unsigned int *ret_nlines);
	/* Requests a line.  Inputs with edges ask for both-edge events and
	 * fall back to a plain input (*ret_events = 0) where the chip has
	 * none; inputs without are plain inputs. */
	int (*request)(struct lines_backend *, const struct lines_request *,
	    struct lines_handle **ret, int *ret_events);
	void (*release)(struct lines_handle *); /* NULL ok */
	int (*get)(struct lines_handle *, int *ret_value);
	int (*set)(struct lines_handle *, int value);
	/* The fd that becomes readable on an edge; -1 without events. */
	int (*event_fd)(struct lines_handle *);
	/* Reads the pending edge events; returns how many or -errno. */
	int (*event_read)(struct lines_handle *);
};

/* Backend by name ("gpiod", "test"); NULL when unknown or not built. */
const struct lines_backend_ops *lines_backend_find(const char *name);

struct lines_config {
	const char *backend;  /* "gpiod" or "test" */
	int debounce_ms;      /* inputs without their own */
	int poll_ms;	      /* polling fallback interval */
	const char *consumer; /* label prefix, "gpiod-ctl" */
};

struct lines *lines_new(void);
void lines_free(struct lines *); /* closes first; NULL ok */
/* A config entry (config_spec.extra_key): -ENOENT when key is not a line,
 * -EINVAL (error_set) when it is a bad one or a repeated key. */
int lines_add(struct lines *, const char *key, const char *value);
int lines_add_spec(struct lines *, const struct linespec *);
/* The same as a config_spec.extra_key callback (arg is the lines); the
 * message leaves out the key, which the config loader adds. */
int lines_config_key(const char *key, const char *value, void *arg);
/* Like lines_add(), but a line of the same name is replaced. */
int lines_put(struct lines *, const char *key, const char *value);
/* A --line option, "KEY=VALUE": lines_put() of the two halves; -EINVAL
 * (error_set(), the message starting "--line") when it is not KEY=VALUE,
 * KEY is not a line key or VALUE is not a line. */
int lines_put_arg(struct lines *, const char *arg);
/* Opens the backend and resolves every line: -ENODEV for a missing chip or
 * line, -EINVAL for a line used twice; messages name the keys.  For
 * --check-config, and the first half of lines_open(). */
int lines_check(struct lines *, const struct lines_config *);
/* Requests all lines, outputs inactive, and starts following inputs. */
int lines_open(
    struct lines *, struct event_base *, const struct lines_config *);
/* Drives outputs inactive and releases everything. */
void lines_close(struct lines *);

size_t lines_count(const struct lines *);
struct line *lines_at(struct lines *, size_t);
struct line *lines_find(struct lines *, const char *name);
struct line *lines_role(struct lines *, enum linespec_role);
/* The backend instance after lines_check() (for the test backend's hooks). */
struct lines_backend *lines_backend(struct lines *);
const char *lines_backend_name(const struct lines *);

/* Per line. */
const struct linespec *lines_spec(const struct line *);
size_t lines_index(const struct line *);
const char *lines_chip(const struct line *); /* canonical */
int lines_value(const struct line *);	     /* debounced; -1 unknown */
/* 1 when the input follows edge events, 0 when it is polled. */
int lines_has_events(const struct line *);
uint64_t lines_changes(const struct line *); /* input changes seen */
/* Drives an output (logical value). */
int lines_set(struct line *, int value);

/* Called after an input's debounced value changed. */
void lines_on_change(
    struct lines *, void (*cb)(struct line *, int value, void *), void *arg);

/* Monotonic milliseconds, for timing and test histories. */
double lines_now_ms(void);

#endif
