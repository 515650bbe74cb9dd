/*
 * frame.c -- ocrd-test-frame, a known frame for ocrd's integration test
 * (a stand-in for a target's screen, served by the test's stand-in for
 * capd's GET /snapshot): lines of text in capd's 5x7 font, light grey on
 * black like a console, at a scale, in a JPEG of width x height.
 *
 *	ocrd-test-frame OUT.jpg WIDTH HEIGHT SCALE LINE...
 *
 * Prints each line's region, "x y w h", one line each, for the test to
 * ask for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "font.h"

static void
draw(uint8_t *px, unsigned int w, unsigned int x0, unsigned int y0,
    unsigned int scale, const char *text)
{
	unsigned int i, gx, gy;

	for (i = 0; text[i] != '\0'; i++) {
		const uint8_t *rows = font_glyph(text[i]);

		for (gy = 0; gy < FONT_H * scale; gy++)
			for (gx = 0; gx < FONT_W * scale; gx++)
				if (rows[gy / scale] & (0x10 >> (gx / scale)))
					px[(y0 + gy) * w + x0 + gx +
					    i * (FONT_W + 1) * scale] = 170;
	}
}

int
main(int argc, char **argv)
{
	unsigned int w, h, s, x = 16, y = 16, i;
	unsigned char *jpeg = NULL;
	unsigned long len = 0;
	uint8_t *px;
	tjhandle tj;
	FILE *f;

	if (argc < 6) {
		fprintf(
		    stderr, "usage: ocrd-test-frame OUT W H SCALE LINE...\n");
		return 2;
	}
	w = (unsigned int)atoi(argv[2]);
	h = (unsigned int)atoi(argv[3]);
	s = (unsigned int)atoi(argv[4]);
	px = calloc((size_t)w * h, 1);
	for (i = 5; i < (unsigned int)argc; i++) {
		unsigned int tw = font_text_width(argv[i], s);

		if (px == NULL || x + tw + s > w || y + FONT_H * s + s > h)
			return 1;
		draw(px, w, x, y, s, argv[i]);
		/* the region: the line with a few pixels around it */
		printf("%u %u %u %u\n", x - 4, y - 4, tw + 8, FONT_H * s + 8);
		y += (FONT_H + 5) * s;
	}
	if ((tj = tjInitCompress()) == NULL ||
	    tjCompress2(tj, px, (int)w, 0, (int)h, TJPF_GRAY, &jpeg, &len,
		TJSAMP_GRAY, 90, 0) != 0 ||
	    (f = fopen(argv[1], "wb")) == NULL ||
	    fwrite(jpeg, 1, len, f) != len || fclose(f) != 0)
		return 1;
	tjFree(jpeg);
	tjDestroy(tj);
	free(px);
	return 0;
}
