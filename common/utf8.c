/*
 * utf8.c -- text that is valid UTF-8 by construction.
 *
 * The check follows RFC 3629's table of well-formed byte sequences: the
 * second byte's range depends on the first (E0 needs A0..BF, ED 80..9F,
 * F0 90..BF, F4 80..8F), which refuses overlong forms, surrogates and code
 * points past U+10FFFF without decoding.  Quoting keeps, for every unit
 * it writes (a character or an escape), the last output position where
 * the ellipsis still fits, so a cut falls there: the output never ends in
 * half a character or half an escape, whatever outlen is.
 */
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* The length a lead byte announces: 2 to 4, or 0 for no lead byte. */
static size_t
utf8_lead_len(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* Bytes of the valid character at s[0..len), or 0. */
size_t
utf8_char(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, k;

	if (len == 0)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if ((n = utf8_lead_len(u[0])) == 0)
		return 0; /* continuation, C0/C1 overlong lead, F5..FF */
	if (u[0] == 0xe0)
		lo = 0xa0; /* below: overlong */
	else if (u[0] == 0xed)
		hi = 0x9f; /* above: surrogates */
	else if (u[0] == 0xf0)
		lo = 0x90; /* below: overlong */
	else if (u[0] == 0xf4)
		hi = 0x8f; /* above: past U+10FFFF */
	if (len < n || u[1] < lo || u[1] > hi)
		return 0;
	for (k = 2; k < n; k++)
		if ((u[k] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* 1 when s[0..len) is valid UTF-8. */
int
utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_char(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* The largest boundary <= max that splits no valid character. */
size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	size_t i = 0, n;

	if (max > len)
		max = len;
	while (i < max) {
		if ((n = utf8_char(s + i, len - i)) == 0)
			n = 1; /* a bad byte stands alone */
		if (i + n > max)
			break;
		i += n;
	}
	return i;
}

/*
 * The quoting behind utf8_quote() and utf8_vformat().  cut says s was
 * already cut short by someone else: a character left incomplete at its
 * end is dropped and the result ends with the ellipsis.
 */
static size_t
utf8_quote_cut(const char *s, size_t len, int cut, char *out, size_t outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, mark = 0, n, k, el = sizeof(UTF8_ELLIPSIS) - 1;
	char tmp[16];
	size_t tlen;

	if (outlen == 0)
		return 0;
	if (cut) {
		/* drop a character left incomplete at the end: back over
		 * up to three continuation bytes to its lead */
		for (k = 1; k <= 3 && k <= len; k++)
			if (u[len - k] < 0x80 || u[len - k] >= 0xc0)
				break;
		if (k <= 3 && k <= len && u[len - k] >= 0xc2 &&
		    u[len - k] <= 0xf4 && utf8_lead_len(u[len - k]) > k)
			len -= k;
	}
	while (i < len) {
		n = utf8_char(s + i, len - i);
		if (n == 1 && u[i] >= 0x20 && u[i] != 0x7f) {
			tmp[0] = (char)u[i];
			tlen = 1;
		} else if (n == 1) {
			if (u[i] == '\n')
				tlen =
				    (size_t)snprintf(tmp, sizeof(tmp), "\\n");
			else if (u[i] == '\r')
				tlen =
				    (size_t)snprintf(tmp, sizeof(tmp), "\\r");
			else if (u[i] == '\t')
				tlen =
				    (size_t)snprintf(tmp, sizeof(tmp), "\\t");
			else
				tlen = (size_t)snprintf(
				    tmp, sizeof(tmp), "\\x%02x", u[i]);
		} else if (n == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0) {
			/* C1 controls: terminals act on them too */
			tlen = (size_t)snprintf(
			    tmp, sizeof(tmp), "\\x%02x\\x%02x", u[i], u[i + 1]);
		} else if (n > 0) {
			memcpy(tmp, s + i, n);
			tlen = n;
		} else {
			n = 1;
			tlen =
			    (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", u[i]);
		}
		if (o + el < outlen)
			mark = o;
		if (o + tlen >= outlen) {
			cut = 1;
			break;
		}
		memcpy(out + o, tmp, tlen);
		o += tlen;
		i += n;
	}
	if (cut) {
		if (o + el < outlen)
			mark = o;
		o = mark;
		if (o + el < outlen) {
			memcpy(out + o, UTF8_ELLIPSIS, el);
			o += el;
		}
	}
	out[o] = '\0';
	return o;
}

/* s[0..len) as printable, valid UTF-8 in out. */
char *
utf8_quote(const char *s, size_t len, char *out, size_t outlen)
{
	utf8_quote_cut(s, len, 0, out, outlen);
	return out;
}

/* vsnprintf() whose result is printable, valid UTF-8. */
size_t
utf8_vformat(char *out, size_t outlen, const char *fmt, va_list ap)
{
	char tmp[4096];
	int n;

	if (outlen == 0)
		return 0;
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	if (n < 0) {
		out[0] = '\0';
		return 0;
	}
	if ((size_t)n >= sizeof(tmp))
		return utf8_quote_cut(tmp, sizeof(tmp) - 1, 1, out, outlen);
	return utf8_quote_cut(tmp, (size_t)n, 0, out, outlen);
}

/* snprintf() whose result is printable, valid UTF-8. */
size_t
utf8_format(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = utf8_vformat(out, outlen, fmt, ap);
	va_end(ap);
	return n;
}
