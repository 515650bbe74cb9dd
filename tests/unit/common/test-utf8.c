/*
 * test-utf8.c -- the strict UTF-8 check, quoting peer bytes for a message,
 * and that messages, log lines and envelopes built from bad bytes are valid
 * UTF-8 that jansson can encode.
 *
 * The bad sequences are RFC 3629's classes (and Markus Kuhn's test file's):
 * overlong forms of each length, surrogates, code points past U+10FFFF,
 * bytes that never occur, stray continuation bytes and characters cut short
 * or interrupted.  Cuts are tried at every byte of a 2-, 3- and 4-byte
 * character.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "error.h"
#include "log.h"
#include "metrics.h"
#include "tap.h"
#include "utf8.h"

static const struct {
	const char *s;
	size_t len;
	const char *what;
} good[] = {
    {"", 0, "empty"},
    {"KeyA", 4, "ASCII"},
    {"\xc2\x80", 2, "U+0080, the first 2-byte"},
    {"\xdf\xbf", 2, "U+07FF, the last 2-byte"},
    {"\xe0\xa0\x80", 3, "U+0800, the first 3-byte"},
    {"\xed\x9f\xbf", 3, "U+D7FF, just below the surrogates"},
    {"\xee\x80\x80", 3, "U+E000, just above the surrogates"},
    {"\xef\xbf\xbf", 3, "U+FFFF"},
    {"\xf0\x90\x80\x80", 4, "U+10000, the first 4-byte"},
    {"\xf4\x8f\xbf\xbf", 4, "U+10FFFF, the last code point"},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "mixed"},
};

static const struct {
	const char *s;
	size_t len;
	const char *what;
} bad[] = {
    {"\xc0\x80", 2, "overlong NUL (C0 80)"},
    {"\xc1\xbf", 2, "overlong 2-byte (C1 BF)"},
    {"\xe0\x80\x80", 3, "overlong 3-byte NUL"},
    {"\xe0\x9f\xbf", 3, "overlong U+07FF in 3 bytes"},
    {"\xf0\x80\x80\x80", 4, "overlong 4-byte NUL"},
    {"\xf0\x8f\xbf\xbf", 4, "overlong U+FFFF in 4 bytes"},
    {"\xed\xa0\x80", 3, "surrogate U+D800 (the fps=%ED%A0%80 of issue 14)"},
    {"\xed\xbf\xbf", 3, "surrogate U+DFFF"},
    {"\xed\xa0\xbd\xed\xb8\x80", 6, "a surrogate pair (CESU-8)"},
    {"\xf4\x90\x80\x80", 4, "U+110000, past the last code point"},
    {"\xf5\x80\x80\x80", 4, "lead byte F5"},
    {"\xf8\x88\x80\x80\x80", 5, "5-byte form"},
    {"\xfc\x84\x80\x80\x80\x80", 6, "6-byte form"},
    {"\xfe", 1, "byte FE"},
    {"\xff", 1, "byte FF"},
    {"\x80", 1, "stray continuation 80"},
    {"a\xbf", 2, "stray continuation BF after ASCII"},
    {"\xc3", 1, "2-byte cut after 1"},
    {"\xe2\x82", 2, "3-byte cut after 2"},
    {"\xf0\x9f\x98", 3, "4-byte cut after 3"},
    {"\xc3\x41", 2, "2-byte interrupted by ASCII"},
    {"\xe2\x41\xac", 3, "3-byte interrupted at byte 2"},
    {"\xe2\x82\x41", 3, "3-byte interrupted at byte 3"},
    {"\xf0\x9f\x41\x80", 4, "4-byte interrupted at byte 3"},
    {"\xc3\xa9\xc3", 3, "valid, then cut"},
};

static void
test_check(void)
{
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(utf8_valid(good[i].s, good[i].len), "valid: %s",
		    good[i].what);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!utf8_valid(bad[i].s, bad[i].len), "refused: %s",
		    bad[i].what);
	is_int(utf8_char("\xf0\x9f\x98\x80", 4), 4, "a 4-byte character");
	is_int(utf8_char("\xf0\x9f\x98\x80", 3), 0, "not when len cuts it");
	is_int(utf8_char("", 0), 0, "nothing in nothing");
}

/* The same cuts a %.Ns or a fixed buffer makes, at every byte. */
static void
test_cut(void)
{
	static const char *chars[] = {
	    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
	char s[16];
	size_t c, k, n;

	for (c = 0; c < 3; c++) {
		n = strlen(chars[c]);
		snprintf(s, sizeof(s), "ab%s", chars[c]);
		for (k = 0; k <= n; k++)
			is_int(utf8_cut(s, 2 + n, 2 + k), k == n ? 2 + n : 2,
			    "%zu-byte character cut after %zu of its bytes", n,
			    k);
	}
	is_int(utf8_cut("\xff\xff", 2, 1), 1, "a bad byte is its own unit");
	is_int(utf8_cut("abc", 3, 10), 3, "max past the end");
}

/* out is valid UTF-8, within outlen, and what quoting all of s gives, or a
 * prefix of it that ends between two of its units (never inside an escape
 * or a character) followed by the ellipsis. */
static int
quote_ok(const char *s, size_t len, size_t outlen, const char *full)
{
	char out[256], whole[256];
	size_t n, k, el = strlen(UTF8_ELLIPSIS);

	memset(out, 'Z', sizeof(out));
	utf8_quote(s, len, out, outlen);
	n = strlen(out);
	if (n >= outlen || !utf8_valid(out, n))
		return 0;
	if (strcmp(out, full) == 0)
		return 1;
	if (outlen <= el) /* no room even for the ellipsis */
		return n == 0;
	if (n < el || strcmp(out + n - el, UTF8_ELLIPSIS) != 0 ||
	    strncmp(out, full, n - el) != 0)
		return 0;
	for (k = 0; k <= len; k++)
		if (utf8_cut(s, len, k) == k &&
		    strlen(utf8_quote(s, k, whole, sizeof(whole))) == n - el)
			return 1;
	return 0;
}

static void
test_quote(void)
{
	/* every class: ASCII, 2/3/4-byte, control, bad byte, surrogate */
	static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n"
				"\xff\xed\xa0\x80\x1b"
				"z";
	const char *full = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\n"
			   "\\xff\\xed\\xa0\\x80\\x1bz";
	char out[64];
	size_t outlen, i, bad_outlen = 0;

	is_str(utf8_quote(s, sizeof(s) - 1, out, sizeof(out)), full,
	    "bad bytes and controls escaped, good characters kept");
	for (outlen = 1; outlen <= strlen(full) + 1; outlen++)
		if (!quote_ok(s, sizeof(s) - 1, outlen, full) && !bad_outlen)
			bad_outlen = outlen;
	is_int(bad_outlen, 0,
	    "cut at every output size: valid, bounded, ends in the ellipsis");
	is_str(utf8_quote("\xc2\x9b"
			  "2J",
		   4, out, sizeof(out)),
	    "\\xc2\\x9b2J", "C1 control (CSI) escaped");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		utf8_quote(bad[i].s, bad[i].len, out, sizeof(out));
		ok(utf8_valid(out, strlen(out)) && strstr(out, "\\x") != NULL,
		    "quoted valid and escaped: %s", bad[i].what);
	}
	/* the reproductions: 16+ non-ASCII characters */
	{
		char in[128] = "", q[40];

		for (i = 0; i < 20; i++)
			strcat(in, "\xc3\xa9");
		utf8_quote(in, strlen(in), q, sizeof(q));
		ok(utf8_valid(q, strlen(q)) && strlen(q) < sizeof(q) &&
			strstr(q, UTF8_ELLIPSIS) != NULL,
		    "20 x e-acute into 40 bytes: cut whole, with the ellipsis");
	}
	utf8_quote("abc", 3, out, 0);
	ok(1, "outlen 0 writes nothing");
}

static void
test_format(void)
{
	char out[16], big[64];
	size_t n;

	/* %.3s cuts the 2-byte character after its first byte */
	n = utf8_format(big, sizeof(big), "[%.3s]", "a\xc3\xa9\xc3\xa9");
	ok(utf8_valid(big, n), "a %%.3s cut inside a character stays valid");
	is_str(big, "[a\xc3\xa9]", "only the whole characters are kept");
	n = utf8_format(big, sizeof(big), "[%.2s]", "a\xc3\xa9");
	is_str(big, "[a\\xc3]", "half a character becomes an escape");
	n = utf8_format(out, sizeof(out), "%s",
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
	ok(n < sizeof(out) && utf8_valid(out, n), "a full buffer stays valid");
	ok(strcmp(out + n - 3, UTF8_ELLIPSIS) == 0, "and shows it was cut");
	n = utf8_format(out, sizeof(out), "%s", "fits");
	is_str(out, "fits", "what fits is unchanged");
}

/* What the daemons build from peer bytes: all of it must encode. */
static void
test_messages(void)
{
	char huge[6000], *s;
	json_t *v;
	size_t i;

	error_set(-EINVAL, "fps \"%s\"", "\xed\xa0\x80");
	ok(utf8_valid(error_get(), strlen(error_get())),
	    "error_set with a surrogate: valid");
	is_str(error_get(), "fps \"\\xed\\xa0\\x80\"", "and escaped");
	for (i = 0; i + 2 < sizeof(huge); i += 2)
		memcpy(huge + i, "\xc3\xa9", 2);
	huge[i] = '\0';
	for (i = 0; i < 3; i++) {
		error_set(-EINVAL, "%.*s", (int)(500 + i), huge);
		ok(utf8_valid(error_get(), strlen(error_get())),
		    "error_set cut by its buffer at offset %zu: valid", i);
	}
	error_set(-EINVAL, "%s", huge);
	ok(utf8_valid(error_get(), strlen(error_get())),
	    "error_set longer than the format buffer: valid");
	error_clear();

	v = envelope_error(-EINVAL, "bad \xed\xa0\x80 \xc3");
	s = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL;
	ok(s != NULL && strstr(s, "\\\\xed") != NULL,
	    "an envelope from an invalid message encodes, escaped");
	free(s);
	json_decref(v);

	{
		char out[64];

		log_escape("\xed\xa0\x80\xc0\x80", 5, out, sizeof(out));
		is_str(out, "\\xed\\xa0\\x80\\xc0\\x80",
		    "log_escape: surrogates and overlongs escaped");
	}
}

/* Prometheus text is UTF-8: label values stay valid, however cut. */
static void
test_metrics_label(void)
{
	char buf[32];
	size_t len, first = 0;

	metrics_label(buf, sizeof(buf), "line", "a\xed\xa0\x80\"b");
	is_str(buf, "line=\"a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\\\"b\"",
	    "a bad byte is U+FFFD, a quote escaped");
	for (len = 1; len <= sizeof(buf); len++) {
		metrics_label(buf, len, "k",
		    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
		if (strlen(buf) >= len || !utf8_valid(buf, strlen(buf)) ||
		    (buf[0] != '\0' && buf[strlen(buf) - 1] != '"'))
			first = first ? first : len;
	}
	is_int(first, 0, "cut at every size: valid, bounded, closed");
}

int
main(void)
{
	test_check();
	test_cut();
	test_quote();
	test_format();
	test_messages();
	test_metrics_label();
	return tap_done();
}
