/*
 * xmalloc.c -- allocation that never returns NULL: out of memory is fatal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

/* malloc or die. */
void *
xmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size ? size : 1)) == NULL)
		fatalx("out of memory allocating %zu bytes", size);
	return p;
}

/* calloc or die. */
void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

/* reallocarray or die; overflow of n * size is fatal too. */
void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	void *p;

	if ((p = reallocarray(ptr, n ? n : 1, size ? size : 1)) == NULL)
		fatalx("out of memory reallocating %zu x %zu bytes", n, size);
	return p;
}

/* strdup or die. */
char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		fatalx("out of memory copying a string");
	return p;
}

/* strndup or die. */
char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if ((p = strndup(s, n)) == NULL)
		fatalx("out of memory copying a string");
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
		fatalx("out of memory formatting a string");
	return n;
}
