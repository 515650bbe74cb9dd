/*
 * font.c -- the glyphs and a clipped YUYV renderer.
 */
#include <string.h>

#include "font.h"

struct glyph {
	char c;
	uint8_t rows[FONT_H];
};

#define B(a, b, c, d, e, f, g)                                                 \
	{                                                                      \
		0x##a, 0x##b, 0x##c, 0x##d, 0x##e, 0x##f, 0x##g                \
	}

/* Rows as hex of the 5-bit patterns. */
static const struct glyph glyphs[] = {
    {' ', B(00, 00, 00, 00, 00, 00, 00)},
    {'0', B(0e, 11, 13, 15, 19, 11, 0e)},
    {'1', B(04, 0c, 04, 04, 04, 04, 0e)},
    {'2', B(0e, 11, 01, 02, 04, 08, 1f)},
    {'3', B(1f, 02, 04, 02, 01, 11, 0e)},
    {'4', B(02, 06, 0a, 12, 1f, 02, 02)},
    {'5', B(1f, 10, 1e, 01, 01, 11, 0e)},
    {'6', B(06, 08, 10, 1e, 11, 11, 0e)},
    {'7', B(1f, 01, 02, 04, 08, 08, 08)},
    {'8', B(0e, 11, 11, 0e, 11, 11, 0e)},
    {'9', B(0e, 11, 11, 0f, 01, 02, 0c)},
    {'A', B(0e, 11, 11, 1f, 11, 11, 11)},
    {'B', B(1e, 11, 11, 1e, 11, 11, 1e)},
    {'C', B(0e, 11, 10, 10, 10, 11, 0e)},
    {'D', B(1c, 12, 11, 11, 11, 12, 1c)},
    {'E', B(1f, 10, 10, 1e, 10, 10, 1f)},
    {'F', B(1f, 10, 10, 1e, 10, 10, 10)},
    {'G', B(0e, 11, 10, 17, 11, 11, 0f)},
    {'H', B(11, 11, 11, 1f, 11, 11, 11)},
    {'I', B(0e, 04, 04, 04, 04, 04, 0e)},
    {'J', B(07, 02, 02, 02, 02, 12, 0c)},
    {'K', B(11, 12, 14, 18, 14, 12, 11)},
    {'L', B(10, 10, 10, 10, 10, 10, 1f)},
    {'M', B(11, 1b, 15, 15, 11, 11, 11)},
    {'N', B(11, 11, 19, 15, 13, 11, 11)},
    {'O', B(0e, 11, 11, 11, 11, 11, 0e)},
    {'P', B(1e, 11, 11, 1e, 10, 10, 10)},
    {'Q', B(0e, 11, 11, 11, 15, 12, 0d)},
    {'R', B(1e, 11, 11, 1e, 14, 12, 11)},
    {'S', B(0f, 10, 10, 0e, 01, 01, 1e)},
    {'T', B(1f, 04, 04, 04, 04, 04, 04)},
    {'U', B(11, 11, 11, 11, 11, 11, 0e)},
    {'V', B(11, 11, 11, 11, 11, 0a, 04)},
    {'W', B(11, 11, 11, 15, 15, 15, 0a)},
    {'X', B(11, 11, 0a, 04, 0a, 11, 11)},
    {'Y', B(11, 11, 11, 0a, 04, 04, 04)},
    {'Z', B(1f, 01, 02, 04, 08, 10, 1f)},
    {':', B(00, 0c, 0c, 00, 0c, 0c, 00)},
    {'.', B(00, 00, 00, 00, 00, 0c, 0c)},
    {'-', B(00, 00, 00, 1f, 00, 00, 00)},
    {'/', B(00, 01, 02, 04, 08, 10, 00)},
    {'_', B(00, 00, 00, 00, 00, 00, 1f)},
    {',', B(00, 00, 00, 00, 0c, 04, 08)},
    {'(', B(02, 04, 08, 08, 08, 04, 02)},
    {')', B(08, 04, 02, 02, 02, 04, 08)},
    {'\'', B(0c, 04, 08, 00, 00, 00, 00)},
    {'?', B(0e, 11, 01, 02, 04, 00, 04)},
    {'!', B(04, 04, 04, 04, 04, 00, 04)},
    {'=', B(00, 00, 1f, 00, 1f, 00, 00)},
    {'+', B(00, 04, 04, 1f, 04, 04, 00)},
    {'%', B(18, 19, 02, 04, 08, 13, 03)},
    {'#', B(0a, 0a, 1f, 0a, 1f, 0a, 0a)},
};

/* The rows of c; small letters as capitals, unknown characters as '?'. */
const uint8_t *
font_glyph(char c)
{
	size_t i;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	for (i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++)
		if (glyphs[i].c == c)
			return glyphs[i].rows;
	return font_glyph('?');
}

/* Width of text at scale. */
unsigned int
font_text_width(const char *text, unsigned int scale)
{
	size_t n = strlen(text);

	return n == 0 ? 0 : (unsigned int)(n * (FONT_W + 1) - 1) * scale;
}

/* Paint one pixel of a YUYV picture (chroma shared by the pixel pair). */
static void
font_put(uint8_t *buf, size_t stride, int x, int y, struct font_color c)
{
	uint8_t *p = buf + (size_t)y * stride + (size_t)(x & ~1) * 2;

	p[(x & 1) * 2] = c.y;
	p[1] = c.u;
	p[3] = c.v;
}

/* Draw text, clipped to the picture. */
void
font_draw_yuyv(uint8_t *buf, size_t stride, unsigned int w, unsigned int h,
    int x, int y, unsigned int scale, const char *text, struct font_color c)
{
	const uint8_t *g;
	long long gx, px, py; /* wide: x and y may be anywhere in an int */
	int row, col;
	unsigned int sx, sy;

	for (gx = x; *text != '\0';
	     text++, gx += (FONT_W + 1) * (long long)scale) {
		g = font_glyph(*text);
		for (row = 0; row < FONT_H; row++)
			for (col = 0; col < FONT_W; col++) {
				if (!(g[row] & (0x10 >> col)))
					continue;
				for (sy = 0; sy < scale; sy++)
					for (sx = 0; sx < scale; sx++) {
						px = gx +
						    col * (long long)scale + sx;
						py = y +
						    row * (long long)scale + sy;
						if (px >= 0 && py >= 0 &&
						    px < w && py < h)
							font_put(buf, stride,
							    (int)px, (int)py,
							    c);
					}
			}
	}
}
