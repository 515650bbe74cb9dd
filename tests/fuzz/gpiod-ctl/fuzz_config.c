/*
 * fuzz_config.c -- a whole [gpiod-ctl] section: the INI reader hands the
 * caller.USER keys to rights.c and the line keys to lines.c, which then
 * resolves them on the test backend (chips, offsets, lines used twice);
 * the callers are checked against the lines and asked about each line.
 * The same text, each of its lines taken as a --line argument, goes to
 * lines_put_arg().  Nothing is requested.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "lines.h"
#include "linespec.h"
#include "rights.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_ctx {
	struct lines *ls;
	struct rights *rs;
};

/* As gpiod-ctl.c: callers first, then lines. */
static int
fuzz_key(const char *key, const char *value, void *arg)
{
	struct fuzz_ctx *c = arg;
	int r;

	if ((r = rights_config_key(c->rs, key, value)) != -ENOENT)
		return r;
	return lines_config_key(key, value, c->ls);
}

/* Each line of data as a --line argument: refused with a message that
 * says it is about --line, or taken. */
static void
fuzz_line_args(const uint8_t *data, size_t len)
{
	struct lines *ls = lines_new();
	char *text = malloc(len + 1), *arg, *next;
	const char *msg;

	if (text == NULL)
		abort();
	memcpy(text, data, len);
	text[len] = '\0';
	for (arg = text; arg != NULL; arg = next) {
		if ((next = strchr(arg, '\n')) != NULL)
			*next++ = '\0';
		error_clear();
		if (lines_put_arg(ls, arg) < 0 &&
		    ((msg = error_get()) == NULL ||
			strncmp(msg, "--line ", 7) != 0))
			abort();
	}
	free(text);
	lines_free(ls);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static long long press_ms;
	static const struct config_option options[] = {
	    {"press-ms", 0, CONFIG_INT, &press_ms, 10, 2000, "MS", "", NULL},
	    {NULL},
	};
	static const struct lines_config cfg = {"test", 20, 100, "fuzz"};
	struct config_spec spec = {
	    "gpiod-ctl", "fuzz", options, fuzz_key, NULL};
	struct fuzz_ctx c;
	size_t i;
	int r;

	if (len > 16384)
		return 0;
	c.ls = lines_new();
	c.rs = rights_new();
	spec.extra_arg = &c;
	error_clear();
	r = config_load_string(&spec, "fuzz.conf", (const char *)data, len);
	if (r == 0)
		r = lines_check(c.ls, &cfg);
	if (r == 0)
		r = rights_check(c.rs, c.ls);
	if (r < 0 && error_get() == NULL)
		abort();
	for (i = 0; r == 0 && i < lines_count(c.ls); i++) {
		/* root may; "nobody" only where a caller.nobody says so */
		if (rights_allow(c.rs, 0, lines_spec(lines_at(c.ls, i))->name) <
		    0)
			abort();
		error_clear();
		if (rights_allow(
			c.rs, 65534, lines_spec(lines_at(c.ls, i))->name) < 0 &&
		    error_get() == NULL)
			abort();
	}
	rights_free(c.rs);
	lines_free(c.ls);
	fuzz_line_args(data, len);
	return 0;
}
