/*
 * config.c -- fuzz target: the INI config parser with a daemon-like option
 * table (strings, ints, bools, lists, a custom parser, extra keys).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char *s;
static long long n;
static int b;
static struct config_list list;

static int
mode(const char *value, void *ptr)
{
	if (strlen(value) > 4)
		return error_set(-EINVAL, "too long");
	*(long long *)ptr = (long long)strlen(value);
	return 0;
}

static int
extra(const char *key, const char *value, void *arg)
{
	if (strncmp(key, "line.", 5) != 0)
		return -ENOENT;
	return strchr(value, ':') ? 0 : error_set(-EINVAL, "no colon");
}

static const struct config_option options[] = {
    {"source", 0, CONFIG_STRING, &s, 0, 0, "S", "", NULL},
    {"fps", 0, CONFIG_INT, &n, 1, 120, "N", "", NULL},
    {"flag", 0, CONFIG_BOOL, &b, 0, 0, "B", "", NULL},
    {"lun", 0, CONFIG_LIST, &list, 0, 0, "L", "", NULL},
    {"mode", 0, CONFIG_CUSTOM, &n, 0, 0, "M", "", mode}, {NULL}};
static const struct config_spec spec = {"hidd", "", options, extra, NULL};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_common c = {0};

	error_clear();
	if (config_load_string(&spec, "fuzz", (const char *)data, size) < 0 &&
	    error_get() == NULL)
		abort(); /* every failure says why */
	config_free(&spec, &c);
	s = NULL;
	return 0;
}
