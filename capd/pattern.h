/*
 * pattern.h -- the built-in test picture, in YUYV like a capture device.
 *
 * Eight 100% colour bars over the top two thirds; below them the frame
 * counter as a strip of 32 black/white cells (most significant bit first,
 * easy to read back from a decoded JPEG), the counter and a millisecond
 * clock as text, and a white square that moves with every frame.  Values
 * are limited-range BT.601, as devices send them, so the pattern takes the
 * same encoder path as a real YUYV device.
 */
#ifndef CAPD_PATTERN_H
#define CAPD_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define PATTERN_BARS	   8
#define PATTERN_BITS	   32
#define PATTERN_MIN_WIDTH  160
#define PATTERN_MIN_HEIGHT 120
#define PATTERN_MAX_WIDTH  4096
#define PATTERN_MAX_HEIGHT 2160

/*
 * What the pattern shows.  PATTERN_MODE_BARS: the bars above.  PATTERN_MODE_CONSOLE:
 * what a KVM mostly shows, for measuring bandwidth on it: an 80x25 text
 * console scrolling boot-log lines (one every 4 frames) with a blinking
 * cursor for 450 frames, then a BIOS-like setup menu (blue, a highlighted
 * row moving every 30 frames) for 240, over and over.  It depends on the
 * frame number only: the same number gives the same bytes.
 */
enum pattern_mode { PATTERN_MODE_BARS, PATTERN_MODE_CONSOLE };

struct pattern;

/* Where things are, so tests can read a decoded frame back. */
struct pattern_layout {
	unsigned int width, height;
	unsigned int bars_height;      /* bars span [0, bars_height) */
	unsigned int cell;	       /* counter cell size */
	unsigned int strip_x, strip_y; /* first cell's top-left */
	unsigned int text_x, text_y, text_scale;
	unsigned int box_y, box_size;
};

/* -EINVAL for an odd width or a size outside what the pattern can draw. */
int pattern_layout_for(
    unsigned int w, unsigned int h, struct pattern_layout *ret);
int pattern_new(unsigned int w, unsigned int h, struct pattern **ret);
void pattern_free(struct pattern *); /* NULL ok */
/* "bars" or "console"; -EINVAL for another name. */
int pattern_mode_parse(const char *, int *ret_mode);
const char *pattern_mode_name(int);
void pattern_set_mode(struct pattern *, int); /* default PATTERN_MODE_BARS */
const struct pattern_layout *pattern_layout(const struct pattern *);
/* Draw frame number counter at wall-clock time_us into a YUYV buffer. */
void pattern_render(struct pattern *, uint64_t counter, int64_t time_us,
    uint8_t *dst, size_t stride);
/* The bar's colour in full-range RGB (white, yellow, cyan, green,
 * magenta, red, blue, black). */
void pattern_bar_rgb(unsigned int bar, uint8_t rgb[3]);
/* The horizontal centre of a bar, for sampling. */
unsigned int pattern_bar_center(
    const struct pattern_layout *, unsigned int bar);

#endif
