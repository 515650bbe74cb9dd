/*
 * apispec.c -- fuzz target apispec: common/apispec.c against the five
 * daemons' real descriptions (capd, hidd and its WebSocket messages,
 * mediad, fetchd, gpiod-ctl).
 *
 * The first byte picks what the rest is:
 *
 *   even: a JSON text, checked with apispec_check() against every route's
 *         fields, as the server does with a body;
 *   odd:  a text value, converted with apispec_value() for every field of
 *         every route, as the server does with a query parameter and the
 *         tools with "name=value".
 *
 * Each answer is compared with a second, plain reading of the same rules
 * written here: accepted exactly when that reading accepts, the value of
 * the field's type and in its range, a refusal always with a message that
 * is valid UTF-8 (it goes into a JSON envelope).  And a value that
 * apispec_value() made passes apispec_check() as that field.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apispec.h"
#include "error.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

extern const struct apispec capd_api, hidd_api, hidd_api_ws, mediad_api,
    fetchd_api, gpiod_ctl_api;

static const struct apispec *const apis[] = {&capd_api, &hidd_api, &hidd_api_ws,
    &mediad_api, &fetchd_api, &gpiod_ctl_api, NULL};

/* A refusal: -EINVAL with a message that can go into JSON. */
static void
refused(int r)
{
	const char *m = error_get();

	if (r != -EINVAL || m == NULL || *m == '\0' ||
	    !utf8_valid(m, strlen(m)))
		abort();
}

/* Whether v is a valid value of f, read plainly. */
static int
value_fits(const struct apispec_field *f, json_t *v)
{
	long long len, n;

	switch (f->type) {
	case APISPEC_STRING:
		if (!json_is_string(v))
			return 0;
		len = (long long)json_string_length(v);
		return len >= f->min && (f->max == 0 || len <= f->max);
	case APISPEC_BOOL:
		return json_is_boolean(v);
	case APISPEC_INT:
		if (!json_is_integer(v))
			return 0;
		n = json_integer_value(v);
		return n >= f->min && n <= f->max;
	}
	return 0;
}

/* Whether obj is a valid request for fields, read plainly. */
static int
object_fits(const struct apispec_field *const *fields, json_t *obj)
{
	const struct apispec_field *f;
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(obj))
		return 0;
	json_object_foreach(obj, key, v)
	{
		for (i = 0; fields != NULL && (f = fields[i]) != NULL; i++)
			if (strcmp(f->name, key) == 0)
				break;
		if (fields == NULL || fields[i] == NULL || !value_fits(f, v))
			return 0;
	}
	for (i = 0; fields != NULL && (f = fields[i]) != NULL; i++)
		if ((f->flags & APISPEC_REQUIRED) &&
		    json_object_get(obj, f->name) == NULL)
			return 0;
	return 1;
}

/* A JSON body against every route. */
static void
fuzz_check(const char *data, size_t size)
{
	const struct apispec_route *rt;
	json_t *v;
	size_t i;
	int r;

	v = json_loadb(
	    data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (v == NULL)
		return;
	for (i = 0; apis[i] != NULL; i++)
		for (rt = apis[i]->routes; rt->name != NULL; rt++) {
			error_clear();
			r = apispec_check(rt->fields, v);
			if (r == 0 && !object_fits(rt->fields, v))
				abort();
			if (r != 0) {
				refused(r);
				if (object_fits(rt->fields, v))
					abort();
			}
		}
	json_decref(v);
}

/* Whether text is what apispec_value() should take for f, read plainly,
 * and then as which value. */
static int
text_fits(const struct apispec_field *f, const char *text, json_t *v)
{
	long long n;
	char *end;

	switch (f->type) {
	case APISPEC_BOOL:
		if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
			return v == NULL || json_is_true(v);
		if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
			return v == NULL || json_is_false(v);
		return 0;
	case APISPEC_INT:
		errno = 0;
		n = strtoll(text, &end, 10);
		if (*text == '\0' || *end != '\0' || errno != 0 || n < f->min ||
		    n > f->max)
			return 0;
		return v == NULL ||
		    (json_is_integer(v) && json_integer_value(v) == n);
	case APISPEC_STRING:
		if (!utf8_valid(text, strlen(text)) ||
		    (long long)strlen(text) < f->min ||
		    (f->max > 0 && (long long)strlen(text) > f->max))
			return 0;
		return v == NULL ||
		    (json_is_string(v) &&
			strcmp(json_string_value(v), text) == 0);
	}
	return 0;
}

/* A text value for every field of every route. */
static void
fuzz_value(const char *data, size_t size)
{
	const struct apispec_field *const *f;
	const struct apispec_route *rt;
	const struct apispec_field *one[2] = {NULL, NULL};
	json_t *v, *obj;
	char *text;
	size_t i;
	int r;

	if ((text = strndup(data, size)) == NULL) /* to the first NUL */
		abort();
	for (i = 0; apis[i] != NULL; i++)
		for (rt = apis[i]->routes; rt->name != NULL; rt++)
			for (f = rt->fields; f != NULL && *f != NULL; f++) {
				error_clear();
				v = NULL;
				if ((r = apispec_value(*f, text, &v)) < 0) {
					refused(r);
					if (text_fits(*f, text, NULL))
						abort();
					continue;
				}
				if (!text_fits(*f, text, v))
					abort();
				one[0] = *f;
				obj = json_object();
				json_object_set_new(obj, (*f)->name, v);
				if (apispec_check(one, obj) != 0)
					abort();
				json_decref(obj);
			}
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_check((const char *)data + 1, size - 1);
	else
		fuzz_value((const char *)data + 1, size - 1);
	return 0;
}
