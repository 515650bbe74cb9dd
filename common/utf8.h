/*
 * utf8.h -- text that is valid UTF-8 by construction.
 *
 * jansson refuses to encode a string that is not valid UTF-8, a browser
 * shows such bytes as garbage, and a terminal may act on control bytes; yet
 * the bytes a peer sends (a query parameter, a JSON string cut short by a
 * fixed-size buffer) end up in error messages, log lines and JSON replies.
 * Everything a daemon says about peer input goes through these helpers:
 *
 *  - utf8_char() and utf8_valid() check strictly, as RFC 3629 does: no
 *    overlong forms, no surrogates (U+D800..U+DFFF), nothing past U+10FFFF,
 *    no stray continuation bytes and no character cut short;
 *  - utf8_quote() copies peer bytes for a message: control characters and
 *    every byte that is not part of a valid character become \xNN, and text
 *    too long for the buffer is cut between characters (never inside one or
 *    inside an escape) and ends with a visible U+2026 "…";
 *  - utf8_format() is snprintf() whose result is valid UTF-8 however
 *    the format's arguments or the buffer's size cut it.
 *
 * They keep no state: any thread may call them.
 */
#ifndef KVM_UTF8_H
#define KVM_UTF8_H

#include <stdarg.h>
#include <stddef.h>

#define UTF8_ELLIPSIS "\xe2\x80\xa6" /* U+2026, what a cut text ends with */

/* The bytes of the valid character starting s[0..len): 1 to 4, or 0 when
 * s[0] does not start one (len 0 included). */
size_t utf8_char(const char *s, size_t len);
/* 1 when all of s[0..len) is valid UTF-8. */
int utf8_valid(const char *s, size_t len);
/* The largest n <= max (and <= len) that does not split a valid character
 * of s: s[0..n) may be kept without cutting one in two. */
size_t utf8_cut(const char *s, size_t len, size_t max);
/* Copies s[0..len) into out (outlen bytes, always NUL-terminated unless
 * outlen is 0) as printable, valid UTF-8, as described above; returns
 * out. */
char *utf8_quote(const char *s, size_t len, char *out, size_t outlen);
/* vsnprintf() into out, then made printable, valid UTF-8 as utf8_quote()
 * does; a result cut short ends with "…".  Returns the length written. */
size_t utf8_vformat(char *out, size_t outlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
size_t utf8_format(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
