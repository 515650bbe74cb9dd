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
	int mode;
};

/* The console mode's timing, in frames, and its size in cells. */
#define CON_COLS	80
#define CON_ROWS	25
#define CON_LOG_FRAMES	450
#define CON_MENU_FRAMES 240
#define CON_LINE_EVERY	4
#define CON_BLINK	16
#define CON_MENU_STEP	30

/* Boot-log lines (the font has capitals, digits and a little punctuation). */
static const char *const con_log[] = {
    "LINUX VERSION 6.1.0-28-AMD64 (DEBIAN 6.1.119-1)",
    "COMMAND LINE: BOOT_IMAGE=/VMLINUZ ROOT=/DEV/SDA1 RO QUIET",
    "BIOS-E820: (MEM 0X0000000000100000-0X000000007FFDFFFF) USABLE",
    "ACPI: RSDP 0X00000000000F5A10 000014 (V00 BOCHS)",
    "PCI: USING CONFIGURATION TYPE 1 FOR BASE ACCESS",
    "CLOCKSOURCE: SWITCHED TO CLOCKSOURCE TSC-EARLY",
    "USB 1-1: NEW HIGH-SPEED USB DEVICE NUMBER 2 USING XHCI_HCD",
    "INPUT: KAPUTTKVM KEYBOARD AS /DEVICES/PCI0000:00/USB1/1-1/INPUT/INPUT3",
    "EXT4-FS (SDA1): MOUNTED FILESYSTEM WITH ORDERED DATA MODE",
    "SYSTEMD(1): SYSTEMD 252.31-1 RUNNING IN SYSTEM MODE",
    "(  OK  ) STARTED JOURNAL SERVICE.",
    "(  OK  ) REACHED TARGET LOCAL FILE SYSTEMS.",
    "E1000E 0000:00:19.0 ETH0: NIC LINK IS UP 1000 MBPS FULL DUPLEX",
    "(  OK  ) STARTED OPENBSD SECURE SHELL SERVER.",
    "RANDOM: CRNG INIT DONE",
    "(  OK  ) REACHED TARGET MULTI-USER SYSTEM.",
};
#define CON_NLOG (sizeof(con_log) / sizeof(con_log[0]))

static const char *const con_menu[] = {
    "SYSTEM TIME              (12:00:00)",
    "SYSTEM DATE              (01/01/2026)",
    "BOOT MODE                (UEFI)",
    "SECURE BOOT              (DISABLED)",
    "USB LEGACY SUPPORT       (ENABLED)",
    "VIRTUALIZATION           (ENABLED)",
    "BOOT ORDER               (USB CD-ROM)",
    "SAVE CHANGES AND EXIT",
};
#define CON_NMENU (sizeof(con_menu) / sizeof(con_menu[0]))

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

/* A mode by name. */
int
pattern_mode_parse(const char *s, int *ret_mode)
{
	if (s != NULL && strcmp(s, "bars") == 0)
		*ret_mode = PATTERN_MODE_BARS;
	else if (s != NULL && strcmp(s, "console") == 0)
		*ret_mode = PATTERN_MODE_CONSOLE;
	else
		return -EINVAL;
	return 0;
}

/* A mode's name. */
const char *
pattern_mode_name(int mode)
{
	return mode == PATTERN_MODE_CONSOLE ? "console" : "bars";
}

/* Choose what the pattern shows. */
void
pattern_set_mode(struct pattern *p, int mode)
{
	p->mode = mode;
}

/* The pattern's layout. */
const struct pattern_layout *
pattern_layout(const struct pattern *p)
{
	return &p->l;
}

/* A console's cell grid on the frame. */
struct con_grid {
	unsigned int cw, ch, x0, y0, scale;
};

/* Cells as big as the frame allows, the grid centred. */
static struct con_grid
con_grid(const struct pattern_layout *l)
{
	struct con_grid g;

	g.cw = l->width / CON_COLS;
	g.ch = l->height / CON_ROWS;
	g.scale = g.cw / (FONT_W + 1);
	if (g.scale > g.ch / (FONT_H + 2))
		g.scale = g.ch / (FONT_H + 2);
	if (g.scale == 0)
		g.scale = 1;
	g.x0 = (l->width - g.cw * CON_COLS) / 2;
	g.y0 = (l->height - g.ch * CON_ROWS) / 2;
	return g;
}

/* Text from a cell on, a glyph to a cell. */
static void
con_text(uint8_t *dst, size_t stride, const struct pattern_layout *l,
    const struct con_grid *g, unsigned int col, unsigned int row,
    const char *text, struct font_color c)
{
	char one[2] = {0, 0};

	for (; *text != '\0' && col < CON_COLS; text++, col++) {
		if (*text == ' ')
			continue;
		one[0] = *text;
		font_draw_yuyv(dst, stride, l->width, l->height,
		    (int)(g->x0 + col * g->cw) +
			((int)g->cw - (FONT_W + 1) * (int)g->scale) / 2,
		    (int)(g->y0 + row * g->ch + g->scale), g->scale, one, c);
	}
}

/* The boot log: line k of boot b, with a kernel-like timestamp. */
static void
con_draw_log(uint8_t *dst, size_t stride, const struct pattern_layout *l,
    const struct con_grid *g, uint64_t boot, unsigned int c)
{
	static const uint8_t grey[3] = {170, 170, 170};
	unsigned int shown = c / CON_LINE_EVERY + 1, first, k, us;
	char line[CON_COLS + 1];

	first = shown > CON_ROWS - 1 ? shown - (CON_ROWS - 1) : 0;
	for (k = first; k < shown; k++) {
		us = k * 48611u + (unsigned int)((boot * 7919 + k * k) % 9973);
		snprintf(line, sizeof(line), "(%5u.%06u) %s", us / 1000000,
		    us % 1000000,
		    con_log[(k + (unsigned int)boot * 3) % CON_NLOG]);
		con_text(
		    dst, stride, l, g, 0, k - first, line, rgb_to_ycc(grey));
	}
	if (c / CON_BLINK % 2 == 0)
		fill_rect(dst, stride, g->x0,
		    g->y0 + (shown - first) * g->ch + g->ch * 3 / 4, g->cw,
		    g->ch / 6 ? g->ch / 6 : 1, rgb_to_ycc(grey));
}

/* The setup menu, its highlighted row moving every CON_MENU_STEP frames. */
static void
con_draw_menu(uint8_t *dst, size_t stride, const struct pattern_layout *l,
    const struct con_grid *g, unsigned int m)
{
	static const uint8_t blue[3] = {0, 0, 170}, cyan[3] = {0, 170, 170};
	static const uint8_t white[3] = {255, 255, 255};
	unsigned int i, sel = m / CON_MENU_STEP % CON_NMENU;

	fill_rect(dst, stride, 0, 0, l->width, l->height, rgb_to_ycc(blue));
	fill_rect(dst, stride, 0, g->y0, l->width, g->ch, rgb_to_ycc(cyan));
	con_text(dst, stride, l, g, 26, 0, "KAPUTTKVM SETUP UTILITY",
	    rgb_to_ycc(white));
	for (i = 0; i < CON_NMENU; i++) {
		if (i == sel)
			fill_rect(dst, stride, g->x0 + 3 * g->cw,
			    g->y0 + (3 + 2 * i) * g->ch, 44 * g->cw, g->ch,
			    rgb_to_ycc(white));
		con_text(dst, stride, l, g, 4, 3 + 2 * i, con_menu[i],
		    rgb_to_ycc(i == sel ? blue : white));
	}
	con_text(dst, stride, l, g, 2, CON_ROWS - 1,
	    "UP/DOWN: SELECT   ENTER: CHANGE   F10: SAVE AND EXIT   ESC: EXIT",
	    rgb_to_ycc(cyan));
}

/* The console mode's frame number counter. */
static void
pattern_render_console(
    struct pattern *p, uint64_t counter, uint8_t *dst, size_t stride)
{
	const uint64_t period = CON_LOG_FRAMES + CON_MENU_FRAMES;
	struct con_grid g = con_grid(&p->l);
	unsigned int c = (unsigned int)(counter % period);

	if (c < CON_LOG_FRAMES) {
		fill_rect(dst, stride, 0, 0, p->l.width, p->l.height, BLACK);
		con_draw_log(dst, stride, &p->l, &g, counter / period, c);
	} else
		con_draw_menu(dst, stride, &p->l, &g, c - CON_LOG_FRAMES);
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

	if (p->mode == PATTERN_MODE_CONSOLE) {
		pattern_render_console(p, counter, dst, stride);
		return;
	}
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
