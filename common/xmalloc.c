/*
 * xmalloc.c -- allocation that never returns NULL: out of memory is fatal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

/* The one way out of memory ends: logged, exit 1; systemd restarts us. */
void
xmalloc_fatal(const char *what, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, what);
	vsnprintf(buf, sizeof(buf), what, ap);
	va_end(ap);
	fatalx("out of memory allocating %s", buf);
}

/* malloc or die. */
void *
xmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size ? size : 1)) == NULL)
		xmalloc_fatal("%zu bytes", size);
	return p;
}

/* calloc or die. */
void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL)
		xmalloc_fatal("%zu x %zu bytes", n, size);
	return p;
}

/* reallocarray or die; overflow of n * size is fatal too. */
void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	void *p;

	if ((p = reallocarray(ptr, n ? n : 1, size ? size : 1)) == NULL)
		xmalloc_fatal("%zu x %zu bytes (reallocating)", n, size);
	return p;
}

/* strdup or die. */
char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		xmalloc_fatal("a copy of a string");
	return p;
}

/* strndup or die. */
char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if ((p = strndup(s, n)) == NULL)
		xmalloc_fatal("a copy of a string");
	return p;
}

/* asprintf or die; returns the length. */
int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n == -1)
		xmalloc_fatal("a formatted string");
	return n;
}
