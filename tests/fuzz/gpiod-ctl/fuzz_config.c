/*
 * fuzz_config.c -- a whole [gpiod-ctl] section: the INI reader hands the
 * line keys to lines.c, which then resolves them on the test backend
 * (chips, offsets, lines used twice).  Nothing is requested.
 */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "error.h"
#include "lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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
	    "gpiod-ctl", "fuzz", options, lines_config_key, NULL};
	struct lines *ls;
	int r;

	if (len > 16384)
		return 0;
	ls = lines_new();
	spec.extra_arg = ls;
	error_clear();
	r = config_load_string(&spec, "fuzz.conf", (const char *)data, len);
	if (r == 0)
		r = lines_check(ls, &cfg);
	if (r < 0 && error_get() == NULL)
		abort();
	lines_free(ls);
	return 0;
}
