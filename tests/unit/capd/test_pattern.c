/*
 * test_pattern.c -- the test pattern's console mode: chosen by name,
 * deterministic from the frame number, changing over time, its two
 * phases (boot log, setup menu).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "tap.h"

#define W 1280
#define H 720

/* Frame n of a fresh console pattern at time t, in a new buffer. */
static uint8_t *
render(int mode, uint64_t n, int64_t t)
{
	struct pattern *p;
	uint8_t *buf = calloc(1, (size_t)W * H * 2);

	if (buf == NULL || pattern_new(W, H, &p) != 0)
		abort();
	pattern_set_mode(p, mode);
	pattern_render(p, n, t, buf, (size_t)W * 2);
	pattern_free(p);
	return buf;
}

/* Pixels (of YUYV pairs) whose bytes differ between a and b. */
static size_t
differ(const uint8_t *a, const uint8_t *b)
{
	size_t i, n = 0;

	for (i = 0; i < (size_t)W * H * 2; i += 4)
		n += memcmp(a + i, b + i, 4) != 0;
	return n;
}

/* Luma and chroma of the pixel pair at (x, y). */
static void
pixel(const uint8_t *f, unsigned int x, unsigned int y, int yuv[3])
{
	const uint8_t *q = f + (size_t)y * W * 2 + (x & ~1u) * 2;

	yuv[0] = q[0];
	yuv[1] = q[1];
	yuv[2] = q[3];
}

static void
test_names(void)
{
	int mode = -1;

	is_int(pattern_mode_parse("console", &mode), 0, "console is a mode");
	is_int(mode, PATTERN_MODE_CONSOLE, "console's number");
	is_int(pattern_mode_parse("bars", &mode), 0, "bars is a mode");
	is_int(mode, PATTERN_MODE_BARS, "bars' number");
	is_int(pattern_mode_parse("Console", &mode), -EINVAL, "names exact");
	is_int(pattern_mode_parse(NULL, &mode), -EINVAL, "NULL refused");
	ok(strcmp(pattern_mode_name(PATTERN_MODE_CONSOLE), "console") == 0,
	    "console's name");
}

static void
test_console(void)
{
	uint8_t *a, *b, *c, *bars, *menu;
	int yuv[3];

	a = render(PATTERN_MODE_CONSOLE, 123, 0);
	b = render(PATTERN_MODE_CONSOLE, 123, 987654321);
	ok(differ(a, b) == 0, "same frame number, same bytes (not the clock)");
	c = render(PATTERN_MODE_CONSOLE, 127, 0);
	ok(differ(a, c) > 0, "four frames on, a line more has scrolled in");
	diag("frames 123 and 127 differ in %zu pixel pairs", differ(a, c));
	bars = render(PATTERN_MODE_BARS, 123, 0);
	ok(differ(a, bars) > (size_t)W * H / 4, "console is not the bars");
	pixel(a, W / 2, H - 20, yuv); /* below the cursor row */
	ok(yuv[0] < 60 && abs(yuv[1] - 128) < 4 && abs(yuv[2] - 128) < 4,
	    "the boot log is on black (Y %d Cb %d Cr %d)", yuv[0], yuv[1],
	    yuv[2]);
	menu = render(PATTERN_MODE_CONSOLE, 450 + 5, 0);
	pixel(menu, W - 4, H / 2, yuv);
	ok(yuv[1] > 180 && yuv[2] < 140,
	    "the setup menu is on blue (Y %d Cb %d Cr %d)", yuv[0], yuv[1],
	    yuv[2]);
	free(c);
	c = render(PATTERN_MODE_CONSOLE, 450 + 5 + 30, 0);
	ok(differ(menu, c) > 0, "the menu's highlight moves");
	free(c);
	c = render(PATTERN_MODE_CONSOLE, 123 + 690, 0);
	ok(differ(a, c) > 0, "the next boot's log is not the same");
	free(a);
	free(b);
	free(c);
	free(bars);
	free(menu);
}

int
main(void)
{
	test_names();
	test_console();
	return tap_done();
}
