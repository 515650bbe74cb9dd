/*
 * pattern.c -- rendering the test picture.
 *
 * The static part (bars, background) is drawn once into a template; each
 * frame copies it and draws the few small moving parts on top, so the cost
 * per frame is about one memcpy of the picture.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "font.h"
#include "pattern.h"
#include "xmalloc.h"

struct pattern {
	struct pattern_layout l;
	uint8_t *tmpl; /* YUYV, stride width * 2 */
};

static const uint8_t bar_rgb[PATTERN_BARS][3] = {
    {255, 255, 255},
    {255, 255, 0},
    {0, 255, 255},
    {0, 255, 0},
    {255, 0, 255},
    {255, 0, 0},
    {0, 0, 255},
    {0, 0, 0},
};

#define BLACK ((struct font_color){16, 128, 128})
#define WHITE ((struct font_color){235, 128, 128})

/* Full-range RGB to limited-range BT.601 YCbCr. */
static struct font_color
rgb_to_ycc(const uint8_t rgb[3])
{
	double r = rgb[0] / 255.0, g = rgb[1] / 255.0;
	double b = rgb[2] / 255.0;
	struct font_color c;

	c.y = (uint8_t)lround(16 + 219 * (0.299 * r + 0.587 * g + 0.114 * b));
	c.u = (uint8_t)lround(
	    128 + 224 * (-0.168736 * r - 0.331264 * g + 0.5 * b));
	c.v = (uint8_t)lround(
	    128 + 224 * (0.5 * r - 0.418688 * g - 0.081312 * b));
	return c;
}

/* The colour of a bar. */
void
pattern_bar_rgb(unsigned int bar, uint8_t rgb[3])
{
	memcpy(rgb, bar_rgb[bar % PATTERN_BARS], 3);
}

/* The middle of a bar. */
unsigned int
pattern_bar_center(const struct pattern_layout *l, unsigned int bar)
{
	return (unsigned int)(((2 * bar + 1) * (unsigned long)l->width) /
	    (2 * PATTERN_BARS));
}

/* Compute the layout for w x h. */
int
pattern_layout_for(unsigned int w, unsigned int h, struct pattern_layout *ret)
{
	struct pattern_layout l;
	unsigned int lower, scale, room;

	/* a size a peer may choose (POST /params): frames of a 4096x2160
	 * pattern are 17 MiB already, and the pool holds several */
	if (w % 2 != 0 || w < PATTERN_MIN_WIDTH || h < PATTERN_MIN_HEIGHT ||
	    w > PATTERN_MAX_WIDTH || h > PATTERN_MAX_HEIGHT)
		return -EINVAL;
	memset(&l, 0, sizeof(l));
	l.width = w;
	l.height = h;
	l.bars_height = h * 2 / 3;
	lower = h - l.bars_height;
	l.cell = w / 40;
	if (l.cell > lower / 5)
		l.cell = lower / 5;
	if (l.cell < 4)
		l.cell = 4;
	l.strip_x = l.cell;
	l.strip_y = l.bars_height + l.cell;
	l.box_size = l.cell * 2;
	l.box_y = h - l.cell / 2 - l.box_size;
	l.text_x = l.cell;
	l.text_y = l.strip_y + l.cell + l.cell / 2;
	/* "FRAME 4294967295 23:59:59.999" is 29 glyphs */
	scale = (w - 2 * l.cell) / (29 * (FONT_W + 1));
	room = l.box_y > l.text_y + l.cell / 2 ? l.box_y - l.text_y - l.cell / 2
					       : 0;
	if (scale > room / FONT_H)
		scale = room / FONT_H;
	l.text_scale = scale; /* 0: no room for text */
	*ret = l;
	return 0;
}

/* Draw a filled rectangle (x and width even). */
static void
fill_rect(uint8_t *buf, size_t stride, unsigned int x, unsigned int y,
    unsigned int w, unsigned int h, struct font_color c)
{
	unsigned int i, j;
	uint8_t *p;

	x &= ~1u;
	w = (w + 1) & ~1u;
	for (j = 0; j < h; j++) {
		p = buf + (size_t)(y + j) * stride + (size_t)x * 2;
		for (i = 0; i < w; i += 2, p += 4) {
			p[0] = c.y;
			p[1] = c.u;
			p[2] = c.y;
			p[3] = c.v;
		}
	}
}

/* Prepare a w x h pattern. */
int
pattern_new(unsigned int w, unsigned int h, struct pattern **ret)
{
	struct pattern *p;
	unsigned int i, x0, x1;
	int r;

	p = xcalloc(1, sizeof(*p));
	if ((r = pattern_layout_for(w, h, &p->l)) < 0) {
		free(p);
		return r;
	}
	p->tmpl = xmalloc((size_t)w * h * 2);
	fill_rect(p->tmpl, (size_t)w * 2, 0, 0, w, h, BLACK);
	for (i = 0; i < PATTERN_BARS; i++) {
		x0 =
		    (unsigned int)((i * (unsigned long)w) / PATTERN_BARS) & ~1u;
		x1 = (unsigned int)(((i + 1) * (unsigned long)w) /
			 PATTERN_BARS) &
		    ~1u;
		if (i == PATTERN_BARS - 1)
			x1 = w;
		fill_rect(p->tmpl, (size_t)w * 2, x0, 0, x1 - x0,
		    p->l.bars_height, rgb_to_ycc(bar_rgb[i]));
	}
	*ret = p;
	return 0;
}

/* Free a pattern. */
void
pattern_free(struct pattern *p)
{
	if (p == NULL)
		return;
	free(p->tmpl);
	free(p);
}

/* The pattern's layout. */
const struct pattern_layout *
pattern_layout(const struct pattern *p)
{
	return &p->l;
}

/* Draw one frame. */
void
pattern_render(struct pattern *p, uint64_t counter, int64_t time_us,
    uint8_t *dst, size_t stride)
{
	const struct pattern_layout *l = &p->l;
	unsigned int i, step, span, bx;
	char text[64];
	time_t t;
	struct tm tm;

	if (stride == (size_t)l->width * 2)
		memcpy(dst, p->tmpl, (size_t)l->width * l->height * 2);
	else
		for (i = 0; i < l->height; i++)
			memcpy(dst + i * stride,
			    p->tmpl + (size_t)i * l->width * 2,
			    (size_t)l->width * 2);
	for (i = 0; i < PATTERN_BITS; i++)
		fill_rect(dst, stride, l->strip_x + i * l->cell, l->strip_y,
		    l->cell, l->cell,
		    (counter >> (PATTERN_BITS - 1 - i)) & 1 ? WHITE : BLACK);
	step = l->width / 128 ? l->width / 128 : 1;
	span = l->width - l->box_size;
	bx = (unsigned int)((counter * step) % (2 * (uint64_t)span));
	if (bx > span)
		bx = 2 * span - bx;
	fill_rect(dst, stride, bx, l->box_y, l->box_size, l->box_size, WHITE);
	if (l->text_scale == 0)
		return;
	t = (time_t)(time_us / 1000000);
	gmtime_r(&t, &tm);
	snprintf(text, sizeof(text), "FRAME %u %02d:%02d:%02d.%03d",
	    (unsigned int)counter, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (int)(time_us / 1000 % 1000));
	font_draw_yuyv(dst, stride, l->width, l->height, (int)l->text_x,
	    (int)l->text_y, l->text_scale, text, WHITE);
}
