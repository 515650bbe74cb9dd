/*
 * font.h -- a 5x7 bitmap font drawn into YUYV pictures.
 *
 * For the test pattern's counter and clock and the "no signal" frame's
 * reason.  Digits, capital letters (small letters are drawn as capitals)
 * and common punctuation; anything else is drawn as '?'.
 */
#ifndef CAPD_FONT_H
#define CAPD_FONT_H

#include <stddef.h>
#include <stdint.h>

#define FONT_W 5
#define FONT_H 7

struct font_color {
	uint8_t y, u, v;
};

/* Width in pixels of text at scale (one blank column between glyphs). */
unsigned int font_text_width(const char *text, unsigned int scale);
/* Draw text with its top-left corner at (x, y), clipped to w x h. */
void font_draw_yuyv(uint8_t *buf, size_t stride, unsigned int w, unsigned int h,
    int x, int y, unsigned int scale, const char *text, struct font_color);
/* The glyph rows of c (bit 4 is the leftmost column). */
const uint8_t *font_glyph(char c);

#endif
