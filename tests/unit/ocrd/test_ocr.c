/*
 * test_ocr.c -- Tesseract through ocr.c on a known picture: text drawn
 * with capd's 5x7 font (the glyphs of capd's test pattern), scaled up,
 * black on white, comes back exactly; an unknown language is -EINVAL; a
 * deadline of 1 ms on a large page of text is -ETIMEDOUT.  (The font's V
 * reads as U at every scale tried, so the text has none.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "font.h"
#include "ocr.h"
#include "tap.h"

/* Draws text at scale with a margin of one glyph around it. */
static struct image_gray
render(const char *const *lines, size_t nlines, unsigned int scale)
{
	struct image_gray g;
	unsigned int gx, gy, line_h = (FONT_H + 3) * scale, wmax = 0;
	size_t l, i;

	for (l = 0; l < nlines; l++)
		if (font_text_width(lines[l], scale) > wmax)
			wmax = font_text_width(lines[l], scale);
	g.w = wmax + 2 * FONT_W * scale;
	g.h = (unsigned int)nlines * line_h + 2 * FONT_H * scale;
	g.pixels = malloc((size_t)g.w * g.h);
	memset(g.pixels, 255, (size_t)g.w * g.h);
	for (l = 0; l < nlines; l++)
		for (i = 0; lines[l][i]; i++) {
			const uint8_t *rows = font_glyph(lines[l][i]);
			unsigned int x0 = FONT_W * scale +
			    (unsigned int)i * (FONT_W + 1) * scale;
			unsigned int y0 =
			    FONT_H * scale + (unsigned int)l * line_h;

			for (gy = 0; gy < FONT_H * scale; gy++)
				for (gx = 0; gx < FONT_W * scale; gx++)
					if (rows[gy / scale] &
					    (0x10 >> (gx / scale)))
						g.pixels[(y0 + gy) * g.w + x0 +
						    gx] = 0;
		}
	return g;
}

/* text without its trailing whitespace (Tesseract ends with "\n"). */
static void
chomp(char *text)
{
	size_t n = strlen(text);

	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = '\0';
}

static void
test_read(struct ocr *o)
{
	static const char *const line[] = {"SERIAL 4711 KEY"};
	struct image_gray g = render(line, 1, 4);
	char *text = NULL;

	is_int(ocr_read(o, &g, "eng", 10000, &text), 0, "reads (%s)",
	    error_get() ? error_get() : "");
	if (text)
		chomp(text);
	is_str(text, "SERIAL 4711 KEY", "the text drawn comes back exactly");
	free(text);
	text = NULL;
	is_int(ocr_read(o, &g, "xx", 10000, &text), -EINVAL,
	    "an unknown language");
	ok(text == NULL, "no text for an unknown language");
	is_int(ocr_read(o, &g, "../eng", 10000, &text), -EINVAL,
	    "a path is no language");
	image_gray_free(&g);
}

static void
test_deadline(struct ocr *o)
{
	static const char *const lines[] = {"THE QUICK BROWN FOX 0123456789",
	    "JUMPS OVER THE LAZY DOG !?.,:;", "PACK MY BOX WITH FIVE DOZEN",
	    "LIQUOR JUGS 9876543210 ABCDEF", "SPHINX OF BLACK QUARTZ JUDGE",
	    "MY VOW 42 HELLO WORLD KAPUTT"};
	struct image_gray g = render(lines, 6, 3);
	char *text = NULL;

	is_int(ocr_read(o, &g, "eng", 1, &text), -ETIMEDOUT,
	    "a 1 ms deadline cuts a page of text off");
	ok(error_get() && strstr(error_get(), "smaller region"),
	    "the message says what to do (%s)", error_get() ? error_get() : "");
	ok(text == NULL, "no text when cut off");
	image_gray_free(&g);
}

int
main(void)
{
	struct ocr *o = ocr_new(NULL);
	const char *const *langs;
	size_t i;
	int eng = 0;

	if (!ok(o != NULL, "an engine (%s)", error_get() ? error_get() : ""))
		return tap_done();
	langs = ocr_languages(o);
	for (i = 0; langs[i]; i++) {
		diag("language %s", langs[i]);
		eng |= strcmp(langs[i], "eng") == 0;
		ok(strcmp(langs[i], "osd") != 0, "osd is not a language");
	}
	ok(eng, "eng is installed (tesseract-ocr-eng)");
	test_read(o);
	test_deadline(o);
	ocr_free(o);
	return tap_done();
}
