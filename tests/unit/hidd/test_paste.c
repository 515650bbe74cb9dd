/*
 * test_paste.c -- text to keystrokes for XKB layouts: chosen strokes for
 * characters that need Shift, AltGr and dead keys; refusal of text a
 * layout cannot type; and a round trip of every typeable character through
 * libxkbcommon on the "target" side (xkbdecode.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "keymap.h"
#include "paste.h"
#include "tap.h"
#include "xkbdecode.h"

#define SH KEYMAP_MOD_LSHIFT
#define AG KEYMAP_MOD_RALT

static struct paste *p;

/* One character's strokes must be exactly these. */
static void
expect(const char *layout, const char *ch, int n, uint8_t m0, uint8_t u0,
    uint8_t m1, uint8_t u1)
{
	const struct paste_layout *l;
	struct paste_stroke s[2];
	uint32_t cp;
	int got;

	if (paste_layout(p, layout, &l) < 0) {
		ok(0, "%s: %s", layout, error_get());
		return;
	}
	paste_utf8_decode((const uint8_t *)ch, strlen(ch), &cp);
	memset(s, 0, sizeof(s));
	got = paste_lookup(l, cp, s);
	if (!ok(got == n && s[0].mods == m0 && s[0].usage == u0 &&
		    (n < 2 || (s[1].mods == m1 && s[1].usage == u1)),
		"%s: '%s' is %d stroke(s) %02x:%02x %02x:%02x", layout,
		(unsigned char)ch[0] < 0x20 ? "control" : ch, n, m0, u0, m1,
		u1))
		diag("got %d: %02x:%02x %02x:%02x", got, s[0].mods, s[0].usage,
		    s[1].mods, s[1].usage);
}

/* Types text through the report walker and decodes it on the target. */
static int
roundtrip(const char *layout, const char *xlayout, const char *xvariant,
    const char *text, size_t len, size_t *ret_reports)
{
	const struct paste_layout *l;
	struct paste_stroke *s;
	struct paste_cursor c;
	struct xkbdecode *d;
	uint8_t r[8], last[8];
	size_t n, nr = 0, got_len;
	const char *got;
	int same;

	if (paste_layout(p, layout, &l) < 0 ||
	    paste_map(l, text, len, &s, &n) < 0) {
		diag("%s: %s", layout, error_get());
		return 0;
	}
	d = xkbdecode_new(xlayout, xvariant);
	memset(&c, 0, sizeof(c));
	memset(last, 0xee, 8);
	while (paste_next_report(s, n, &c, r)) {
		xkbdecode_report(d, r);
		memcpy(last, r, 8);
		nr++;
	}
	got = xkbdecode_text(d, &got_len);
	same = got_len == len && memcmp(got, text, len) == 0;
	if (!same) {
		size_t i;

		for (i = 0; i < len && i < got_len && got[i] == text[i]; i++)
			;
		diag("%s: differs at byte %zu: want \"%.12s\" got \"%.12s\"",
		    layout, i, text + i, got + (i < got_len ? i : got_len));
	}
	if (memcmp(last, "\0\0\0\0\0\0\0\0", 8) != 0) {
		diag("%s: last report is not empty", layout);
		same = 0;
	}
	xkbdecode_free(d);
	free(s);
	*ret_reports = nr;
	return same;
}

/* Every character the layout can type, with newlines and tabs. */
static char *
all_chars(const char *layout, size_t *ret_len, size_t *ret_count)
{
	const struct paste_layout *l;
	struct paste_stroke s[2];
	char *t = malloc(64 * 1024);
	size_t n = 0, count = 0;
	uint32_t cp;

	paste_layout(p, layout, &l);
	for (cp = 0x20; cp < 0x3000; cp++) {
		if (paste_lookup(l, cp, s) == 0)
			continue;
		count++;
		if (cp < 0x80)
			t[n++] = (char)cp;
		else if (cp < 0x800) {
			t[n++] = (char)(0xc0 | cp >> 6);
			t[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			t[n++] = (char)(0xe0 | cp >> 12);
			t[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			t[n++] = (char)(0x80 | (cp & 0x3f));
		}
		if (count % 40 == 0)
			t[n++] = count % 80 == 0 ? '\n' : '\t';
	}
	/* Doubled letters need a key-up between the presses. */
	memcpy(t + n, "\nlloo  aa\n", 10);
	n += 10;
	*ret_len = n;
	*ret_count = count;
	return t;
}

/* What each character types, layout by layout: Shift, AltGr, dead keys. */
static void
test_strokes(void)
{
	/* us */
	expect("us", "a", 1, 0, 0x04, 0, 0);
	expect("us", "A", 1, SH, 0x04, 0, 0);
	expect("us", "@", 1, SH, 0x1f, 0, 0);
	expect("us", "~", 1, SH, 0x35, 0, 0);
	expect("us", "\n", 1, 0, 0x28, 0, 0);
	expect("us", "\t", 1, 0, 0x2b, 0, 0);
	expect("us", " ", 1, 0, 0x2c, 0, 0);
	/* de: QWERTZ, AltGr, dead keys */
	expect("de", "z", 1, 0, 0x1c, 0, 0);
	expect("de", "y", 1, 0, 0x1d, 0, 0);
	expect("de", "@", 1, AG, 0x14, 0, 0);
	expect("de", "\xe2\x82\xac", 1, AG, 0x08, 0, 0); /* € */
	expect("de", "{", 1, AG, 0x24, 0, 0);
	expect("de", "~", 1, AG, 0x30, 0, 0);
	expect("de", "|", 1, AG, 0x64, 0, 0);
	expect("de", "\xc3\xa4", 1, 0, 0x34, 0, 0); /* ä */
	expect("de", "\xc3\x9f", 1, 0, 0x2d, 0, 0); /* ß */
	expect("de", "\"", 1, SH, 0x1f, 0, 0);
	expect("de", "^", 2, 0, 0x35, 0, 0x2c);	       /* dead ^ + space */
	expect("de", "\xc3\xa9", 2, 0, 0x2e, 0, 0x08); /* é: dead ´ + e */
	expect("de", "\xc3\xa2", 2, 0, 0x35, 0, 0x04); /* â */
	/* fr: AZERTY, digits shifted */
	expect("fr", "a", 1, 0, 0x14, 0, 0);
	expect("fr", "1", 1, SH, 0x1e, 0, 0);
	expect("fr", "\xc3\xa9", 1, 0, 0x1f, 0, 0); /* é */
	expect("fr", "@", 1, AG, 0x27, 0, 0);
	expect("fr", "\xc3\xaa", 2, 0, 0x2f, 0, 0x08);	/* ê */
	expect("fr", "\xc3\xab", 2, SH, 0x2f, 0, 0x08); /* ë */
	/* gb */
	expect("gb", "\"", 1, SH, 0x1f, 0, 0);
	expect("gb", "@", 1, SH, 0x34, 0, 0);
	expect("gb", "#", 1, 0, 0x31, 0, 0);
	expect("gb", "\xc2\xa3", 1, SH, 0x20, 0, 0); /* £ */
	expect("gb", "\\", 1, 0, 0x64, 0, 0);
	/* es */
	expect("es", "\xc3\xb1", 1, 0, 0x33, 0, 0); /* ñ */
	expect("es", "@", 1, AG, 0x1f, 0, 0);
	expect("es", "\xc3\xa1", 2, 0, 0x34, 0, 0x04); /* á */
	/* us(intl): dead keys on ' " ` ~ ^ */
	expect("us(intl)", "\xc3\xa9", 1, AG, 0x08, 0, 0); /* é */
	expect("us(intl)", "'", 1, AG, 0x34, 0, 0);	   /* level 3 */
	expect("us(intl)", "\"", 1, AG | SH, 0x34, 0, 0);
	expect("us(intl)", "`", 1, AG, 0x35, 0, 0);
	expect("us(intl)", "\xc3\xa3", 2, SH, 0x35, 0, 0x04); /* ã */
	expect("us(intl)", "\xc3\xaa", 2, SH, 0x23, 0, 0x08); /* ê */
	expect("us(intl)", "\xc3\xb5", 2, SH, 0x35, 0, 0x12); /* õ */
}

/* Refusals: the whole text, each character named with its position. */
static void
test_refusals(void)
{
	const struct paste_layout *l;
	struct paste_stroke *s;
	size_t n;
	const char *msg;

	paste_layout(p, "us", &l);
	s = NULL;
	ok(paste_map(l, "h\xc3\xa9llo \xe2\x82\xac!", 11, &s, &n) == -EINVAL &&
		s == NULL,
	    "us refuses text with é and €");
	msg = error_get();
	ok(msg && strstr(msg, "2 characters") && strstr(msg, "U+00E9) at 2") &&
		strstr(msg, "U+20AC) at 7") && strstr(msg, "\"us\""),
	    "message lists both with positions: %s", msg);
	ok(paste_map(l, "ab\x01", 3, &s, &n) == -EINVAL &&
		strstr(error_get(), "U+0001) at 3"),
	    "control character refused");
	ok(paste_map(l, "ab\xc3", 3, &s, &n) == -EINVAL &&
		strstr(error_get(), "UTF-8 at byte 2"),
	    "invalid UTF-8 refused: %s", error_get());
	ok(paste_map(l, "\xed\xa0\x80", 3, &s, &n) == -EINVAL,
	    "surrogate refused");
	ok(paste_map(l, "a\r\nb\rc", 6, &s, &n) == 0 && n == 5 &&
		s[1].usage == 0x28 && s[3].usage == 0x28,
	    "CRLF and CR are one Enter each");
	free(s);
	ok(paste_map(l, "", 0, &s, &n) == 0 && n == 0, "empty text");
	free(s);
}

/* Layout names: unknown, malformed, empty. */
static void
test_layout_names(void)
{
	const struct paste_layout *l;

	ok(paste_layout(p, "zz", &l) == -EINVAL &&
		strstr(error_get(), "\"zz\""),
	    "unknown layout: %s", error_get());
	ok(paste_layout(p, "us(nosuchvariant)", &l) == -EINVAL,
	    "unknown variant");
	ok(paste_layout(p, "us(", &l) == -EINVAL, "malformed");
	ok(paste_layout(p, "us;rm -rf", &l) == -EINVAL, "bad characters");
	ok(paste_layout(p, "", &l) == -EINVAL, "empty");
	ok(paste_layout(p, NULL, &l) == -EINVAL, "NULL");
}

/* Round trips: every typeable character of each layout decodes back. */
static void
test_round_trips(void)
{
	static const struct {
		const char *name, *layout, *variant;
		size_t min;
	} layouts[] = {
	    {"us", "us", "", 94},
	    {"de", "de", "", 150},
	    {"fr", "fr", "", 150},
	    {"gb", "gb", "", 100},
	    {"es", "es", "", 150},
	    {"it", "it", "", 100},
	    {"ch(fr)", "ch", "fr", 150},
	    {"us(intl)", "us", "intl", 150},
	};
	size_t len;
	size_t count;
	size_t nr = 0;
	char *text;
	size_t i;

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		text = all_chars(layouts[i].name, &len, &count);
		ok(count >= layouts[i].min, "%s types %zu characters",
		    layouts[i].name, count);
		ok(roundtrip(layouts[i].name, layouts[i].layout,
		       layouts[i].variant, text, len, &nr),
		    "%s: every typeable character decodes back (%zu bytes, %zu reports)",
		    layouts[i].name, len, nr);
		free(text);
	}
}

int
main(void)
{
	if (paste_new(&p) < 0) {
		printf("1..0 # SKIP no xkb context: %s\n", error_get());
		return 0;
	}
	test_strokes();
	test_refusals();
	test_layout_names();
	test_round_trips();
	paste_free(p);
	return tap_done();
}
