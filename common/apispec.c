/*
 * apispec.c -- checking requests against a daemon's API description.
 *
 * The messages name the field and say what it must be, in the words a
 * person reads in the browser's console or a tool's output; they are the
 * same whether the field came in a JSON body, a query string, a WebSocket
 * message or a tool's argument.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apispec.h"
#include "error.h"
#include "utf8.h"

const struct apispec_field *
apispec_field(const struct apispec_field *const *fields, const char *name)
{
	size_t i;

	for (i = 0; fields != NULL && fields[i] != NULL; i++)
		if (strcmp(fields[i]->name, name) == 0)
			return fields[i];
	return NULL;
}

const struct apispec_route *
apispec_route(const struct apispec_route *routes, const char *name)
{
	for (; routes->name != NULL; routes++)
		if (strcmp(routes->name, name) == 0)
			return routes;
	return NULL;
}

/* One present field's value against its description. */
static int
apispec_check_one(const struct apispec_field *f, json_t *v)
{
	size_t len;
	long long n;

	switch (f->type) {
	case APISPEC_STRING:
		if (!json_is_string(v))
			return error_set(-EINVAL,
			    "the field \"%s\" must be a string", f->name);
		len = json_string_length(v);
		if (strlen(json_string_value(v)) != len)
			return error_set(-EINVAL,
			    "the field \"%s\" contains a NUL character (\\u0000)",
			    f->name);
		if ((long long)len < f->min)
			return error_set(-EINVAL,
			    "the field \"%s\" must not be empty", f->name);
		if (f->max > 0 && (long long)len > f->max)
			return error_set(-EINVAL,
			    "the field \"%s\" is longer than %lld bytes",
			    f->name, f->max);
		return 0;
	case APISPEC_BOOL:
		if (!json_is_boolean(v))
			return error_set(-EINVAL,
			    "the field \"%s\" must be true or false", f->name);
		return 0;
	case APISPEC_INT:
		if (!json_is_integer(v))
			return error_set(-EINVAL,
			    "the field \"%s\" must be a whole number from %lld to %lld",
			    f->name, f->min, f->max);
		n = json_integer_value(v);
		if (n < f->min || n > f->max)
			return error_set(-EINVAL,
			    "the field \"%s\" is %lld; it must be from %lld to %lld",
			    f->name, n, f->min, f->max);
		return 0;
	}
	return error_set(-EINVAL, "the field \"%s\" has no type", f->name);
}

int
apispec_check(const struct apispec_field *const *fields, json_t *obj)
{
	const struct apispec_field *f;
	const char *key;
	char q[128];
	json_t *v;
	size_t i;
	int r;

	if (!json_is_object(obj))
		return error_set(-EINVAL, "the body must be a JSON object");
	json_object_foreach(obj, key, v)
	{
		if ((f = apispec_field(fields, key)) == NULL)
			return error_set(-EINVAL, "unknown field \"%s\"",
			    utf8_quote(key, strlen(key), q, sizeof(q)));
		if ((r = apispec_check_one(f, v)) < 0)
			return r;
	}
	for (i = 0; fields != NULL && fields[i] != NULL; i++)
		if ((fields[i]->flags & APISPEC_REQUIRED) &&
		    json_object_get(obj, fields[i]->name) == NULL)
			return error_set(-EINVAL, "the field \"%s\" is missing",
			    fields[i]->name);
	return 0;
}

int
apispec_value(const struct apispec_field *f, const char *text, json_t **ret)
{
	char q[64], *end;
	long long n;
	json_t *v;
	int r;

	switch (f->type) {
	case APISPEC_BOOL:
		if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
			v = json_true();
		else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
			v = json_false();
		else
			return error_set(-EINVAL,
			    "the parameter \"%s\" is \"%s\"; it must be true or false (or 1 or 0)",
			    f->name,
			    utf8_quote(text, strlen(text), q, sizeof(q)));
		break;
	case APISPEC_INT:
		errno = 0;
		n = strtoll(text, &end, 10);
		if (*text == '\0' || *end != '\0' || errno != 0 || n < f->min ||
		    n > f->max)
			return error_set(-EINVAL,
			    "the parameter \"%s\" is \"%s\"; it must be a whole number from %lld to %lld",
			    f->name,
			    utf8_quote(text, strlen(text), q, sizeof(q)),
			    f->min, f->max);
		v = json_integer(n);
		break;
	default:
		v = json_string(text);
		if (v == NULL)
			return error_set(
			    -EINVAL, "\"%s\" is not valid UTF-8", f->name);
		break;
	}
	if ((r = apispec_check_one(f, v)) < 0) {
		json_decref(v);
		return r;
	}
	*ret = v;
	return 0;
}

long long
apispec_int(json_t *args, const char *name, long long dflt)
{
	json_t *v = json_object_get(args, name);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int
apispec_bool(json_t *args, const char *name, int dflt)
{
	json_t *v = json_object_get(args, name);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

const char *
apispec_string(json_t *args, const char *name, const char *dflt)
{
	json_t *v = json_object_get(args, name);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

void
apispec_type_text(const struct apispec_field *f, char *buf, size_t len)
{
	switch (f->type) {
	case APISPEC_STRING:
		if (f->max > 0)
			snprintf(
			    buf, len, "string, at most %lld bytes", f->max);
		else
			snprintf(buf, len, "string");
		break;
	case APISPEC_BOOL:
		snprintf(buf, len, "boolean");
		break;
	case APISPEC_INT:
		snprintf(buf, len, "integer %lld..%lld", f->min, f->max);
		break;
	}
}

/* The methods, in the order an Allow header and the docs list them. */
static const struct {
	unsigned int bit;
	const char *name;
} apispec_methods[] = {{HTTP_GET, "GET"}, {HTTP_HEAD, "HEAD"},
    {HTTP_POST, "POST"}, {HTTP_PUT, "PUT"}, {HTTP_DELETE, "DELETE"},
    {HTTP_OPTIONS, "OPTIONS"}, {HTTP_PATCH, "PATCH"}};

const char *
apispec_method_name(const struct apispec_route *r)
{
	/* the main one: a method that changes something before GET, HEAD */
	static const size_t order[] = {2, 3, 6, 4, 0, 1, 5};
	size_t i;

	if (r->flags & APISPEC_WS)
		return "WS";
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (r->methods & apispec_methods[order[i]].bit)
			return apispec_methods[order[i]].name;
	return "?";
}

/* The route's methods as "GET, HEAD" or "GET, PUT, DELETE". */
static void
apispec_methods_text(const struct apispec_route *r, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	if (r->flags & APISPEC_WS) {
		snprintf(buf, len, "message");
		return;
	}
	for (i = 0; i < sizeof(apispec_methods) / sizeof(apispec_methods[0]);
	     i++)
		if ((r->methods & apispec_methods[i].bit) && off < len)
			off += snprintf(buf + off, len - off, "%s%s",
			    off ? ", " : "", apispec_methods[i].name);
}

/* Text for a Markdown table cell: a '|' would end the cell. */
static void
apispec_md_cell(FILE *f, const char *text)
{
	for (; *text != '\0'; text++) {
		if (*text == '|')
			fputc('\\', f);
		fputc(*text == '\n' ? ' ' : *text, f);
	}
}

/* One route's heading: "### `PUT /images/NAME` (`upload`)". */
static void
apispec_md_heading(FILE *f, const struct apispec_route *r)
{
	char methods[64];
	size_t n;

	if (r->flags & APISPEC_WS) {
		fprintf(
		    f, "### WebSocket message `\"t\": \"%s\"`\n\n", r->name);
		return;
	}
	n = strlen(r->path);
	apispec_methods_text(r, methods, sizeof(methods));
	fprintf(f, "### `%s %s%s` (`%s`)\n\n", methods, r->path,
	    n > 0 && r->path[n - 1] == '/' ? "NAME" : "", r->name);
}

/* What a route's body is, when that is not a table of fields. */
static void
apispec_md_body(FILE *f, const struct apispec_route *r)
{
	size_t n = r->path != NULL ? strlen(r->path) : 0;
	int fields = r->fields != NULL && r->fields[0] != NULL;

	if (n > 0 && r->path[n - 1] == '/')
		fprintf(f, "NAME is the rest of the path.\n\n");
	if ((r->flags & APISPEC_RAW) &&
	    (r->methods & (HTTP_PUT | HTTP_POST | HTTP_PATCH)))
		fprintf(f,
		    "The body is raw bytes, not JSON; `Content-Length` is required.\n\n");
	else if (!fields)
		fprintf(f, "Takes no fields.\n\n");
	else if (r->flags & APISPEC_EMPTY_OK)
		fprintf(f, "An empty body is the same as `{}`.\n\n");
}

void
apispec_markdown(FILE *f, const struct apispec *spec)
{
	const struct apispec_route *r;
	const struct apispec_field *fd;
	char type[64];
	size_t i;

	fprintf(f, "## %s\n\n%s\n\n", spec->daemon, spec->summary);
	for (r = spec->routes; r->name != NULL; r++) {
		apispec_md_heading(f, r);
		fprintf(f, "%s\n\n", r->summary);
		apispec_md_body(f, r);
		if (r->fields == NULL || r->fields[0] == NULL)
			continue;
		fprintf(f,
		    "| %s | type | required | meaning |\n"
		    "|---|---|---|---|\n",
		    r->flags & APISPEC_QUERY ? "query parameter" : "field");
		for (i = 0; (fd = r->fields[i]) != NULL; i++) {
			apispec_type_text(fd, type, sizeof(type));
			fprintf(f, "| `%s` | %s | %s | ", fd->name, type,
			    fd->flags & APISPEC_REQUIRED ? "yes" : "no");
			apispec_md_cell(f, fd->help);
			fprintf(f, " |\n");
		}
		fprintf(f, "\n");
	}
}
