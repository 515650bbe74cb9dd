/*
 * range.c -- parse "bytes=first-last", "bytes=first-" and "bytes=-suffix".
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "range.h"

/* Parse decimal digits; 0 when none or on overflow. */
static size_t
range_number(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i > 0)
		*ret = v;
	return i;
}

/* Skip optional whitespace. */
static const char *
range_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Parse one Range header against an image of size bytes. */
int
range_parse(
    const char *header, uint64_t size, uint64_t *ret_start, uint64_t *ret_len)
{
	const char *s;
	uint64_t first = 0, last = 0;
	size_t n;
	int has_first, has_last;

	if (header == NULL)
		return 1;
	s = range_ws(header);
	if (strncasecmp(s, "bytes", 5) != 0)
		return 1;
	s = range_ws(s + 5);
	if (*s++ != '=')
		return 1;
	s = range_ws(s);
	n = range_number(s, &first);
	has_first = n > 0;
	s += n;
	if (*s++ != '-')
		return 1;
	n = range_number(s, &last);
	has_last = n > 0;
	s = range_ws(s + n);
	if (*s != '\0')
		return 1; /* several ranges, or junk: ignored */
	if (!has_first && !has_last)
		return 1;
	if (!has_first) {
		/* The last `last` bytes. */
		if (last == 0 || size == 0)
			return -ERANGE;
		if (last > size)
			last = size;
		*ret_start = size - last;
		*ret_len = last;
		return 0;
	}
	if (has_last && last < first)
		return 1;
	if (first >= size)
		return -ERANGE;
	if (!has_last || last >= size)
		last = size - 1;
	*ret_start = first;
	*ret_len = last - first + 1;
	return 0;
}
