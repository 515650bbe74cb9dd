/*
 * test_linespec.c -- the [gpiod-ctl] line syntax, as a table of good and
 * bad entries; every refusal must name the key and say what is wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "linespec.h"
#include "tap.h"

struct good {
	const char *key, *value;
	const char *name, *chip;
	unsigned int offset;
	enum linespec_role role;
	enum linespec_dir dir;
	int active_low;
	enum linespec_bias bias;
	enum linespec_drive drive;
	int debounce_ms;
	const char *canonical;
};

static const struct good goods[] = {
    {"power-button", "gpiochip0:23", "power-button", "gpiochip0", 23,
	LINESPEC_POWER_BUTTON, LINESPEC_OUTPUT, 0, LINESPEC_BIAS_AS_IS,
	LINESPEC_PUSH_PULL, -1, "gpiochip0:23 output"},
    {"power-led", "gpiochip0:24 active-low", "power-led", "gpiochip0", 24,
	LINESPEC_POWER_LED, LINESPEC_INPUT, 1, LINESPEC_BIAS_AS_IS,
	LINESPEC_PUSH_PULL, -1, "gpiochip0:24 input active-low"},
    {"reset-button", "/dev/gpiochip1:4", "reset-button", "/dev/gpiochip1", 4,
	LINESPEC_RESET_BUTTON, LINESPEC_OUTPUT, 0, LINESPEC_BIAS_AS_IS,
	LINESPEC_PUSH_PULL, -1, "/dev/gpiochip1:4 output"},
    {"hdd-led", "pinctrl-bcm2711:17 pull-up debounce=50 active-low", "hdd-led",
	"pinctrl-bcm2711", 17, LINESPEC_HDD_LED, LINESPEC_INPUT, 1,
	LINESPEC_BIAS_PULL_UP, LINESPEC_PUSH_PULL, 50,
	"pinctrl-bcm2711:17 input active-low pull-up debounce=50"},
    {"capture-reset", "\t gpiochip2:0   open-drain ", "capture-reset",
	"gpiochip2", 0, LINESPEC_CAPTURE_RESET, LINESPEC_OUTPUT, 0,
	LINESPEC_BIAS_AS_IS, LINESPEC_OPEN_DRAIN, -1,
	"gpiochip2:0 output open-drain"},
    {"hid-reset", "gpiochip0:65535 output active-high", "hid-reset",
	"gpiochip0", 65535, LINESPEC_HID_RESET, LINESPEC_OUTPUT, 0,
	LINESPEC_BIAS_AS_IS, LINESPEC_PUSH_PULL, -1, "gpiochip0:65535 output"},
    {"line.fan", "1:7 output open-source", "fan", "1", 7, LINESPEC_USER,
	LINESPEC_OUTPUT, 0, LINESPEC_BIAS_AS_IS, LINESPEC_OPEN_SOURCE, -1,
	"1:7 output open-source"},
    {"line.door_2", "gpio-sim.0-node0:3 input pull-down debounce=0", "door_2",
	"gpio-sim.0-node0", 3, LINESPEC_USER, LINESPEC_INPUT, 0,
	LINESPEC_BIAS_PULL_DOWN, LINESPEC_PUSH_PULL, 0,
	"gpio-sim.0-node0:3 input pull-down debounce=0"},
    /* A label holding ':' splits at the last one. */
    {"line.x", "soc:gpio:5 input bias-disable", "x", "soc:gpio", 5,
	LINESPEC_USER, LINESPEC_INPUT, 0, LINESPEC_BIAS_DISABLE,
	LINESPEC_PUSH_PULL, -1, "soc:gpio:5 input bias-disable"},
};

struct badcase {
	const char *key, *value;
	const char *want; /* a piece the message must contain */
};

static const struct badcase bads[] = {
    {"power-button", "", "empty"},
    {"power-button", "   ", "empty"},
    {"power-button", "gpiochip0", "has no ':'"},
    {"power-button", ":23", "no chip"},
    {"power-button", "gpiochip0:", "is not a decimal number"},
    {"power-button", "gpiochip0:x23", "'x23' is not a decimal"},
    {"power-button", "gpiochip0:-1", "not a decimal"},
    {"power-button", "gpiochip0:0x10", "not a decimal"},
    {"power-button", "gpiochip0:65536", "larger than 65535"},
    {"power-button", "gpiochip0:99999999999999999999", "larger than"},
    {"power-button", "gpiochip0:23 input",
	"power-button is an output role; it cannot be an input line"},
    {"power-led", "gpiochip0:24 output",
	"power-led is an input role; it cannot be an output line"},
    {"hdd-led", "gpiochip0:1 open-drain", "open-drain applies to outputs"},
    {"power-button", "gpiochip0:1 pull-up", "pull-up applies to inputs"},
    {"power-button", "gpiochip0:1 debounce=5", "debounce applies to inputs"},
    {"power-led", "gpiochip0:1 debounce=", "debounce=: give milliseconds"},
    {"power-led", "gpiochip0:1 debounce=1001", "0-1000"},
    {"power-button", "gpiochip0:1 poll", "poll applies to inputs"},
    {"power-led", "gpiochip0:1 poll poll", "poll is given twice"},
    {"power-led", "gpiochip0:1 debounce=5 debounce=6", "given twice"},
    {"power-led", "gpiochip0:1 active-low active-high", "conflicts"},
    {"power-led", "gpiochip0:1 active-low active-low", "repeats"},
    {"power-led", "gpiochip0:1 pull-up pull-down", "conflicts"},
    {"power-led", "gpiochip0:1 ACTIVE-LOW", "unknown flag 'ACTIVE-LOW'"},
    {"power-led", "gpiochip0:1 activelow", "known: input, output"},
    {"line.fan", "gpiochip0:3", "must say 'input' or 'output'"},
    {"line.fan", "gpiochip0:3 input output", "conflicts"},
    {"line.", "gpiochip0:3 input", "line.NAME"},
    {"line.Fan", "gpiochip0:3 input", "lower-case"},
    {"line.9fan", "gpiochip0:3 input", "starting with a letter"},
    {"line.a b", "gpiochip0:3 input", "line.NAME"},
    {"line.abcdefghijabcdefghijabcdefghijabc", "gpiochip0:3 input", "1-32"},
    {"line.power-led", "gpiochip0:3 input", "is a role"},
    {"power", "gpiochip0:3", "not a line"},
    {"power-button", "gpio\x01chip:3", "printable ASCII"},
    {"power-button",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	":1",
	"longer than 64"},
};

/* Checks one good entry, then that its canonical text parses the same. */
static void
check_good(const struct good *g)
{
	struct linespec s, s2;
	char buf[300];
	int r;

	memset(&s, 0xa5, sizeof(s));
	r = linespec_parse(g->key, g->value, &s);
	if (!ok(r == 0, "%s = \"%s\" parses", g->key, g->value)) {
		diag("  %s", error_get() ? error_get() : "(no message)");
		return;
	}
	is_str(s.name, g->name, "  name");
	is_str(s.chip, g->chip, "  chip");
	is_int(s.offset, g->offset, "  offset");
	is_int(s.role, g->role, "  role %s", linespec_role_name(g->role));
	is_int(s.dir, g->dir, "  direction");
	is_int(s.active_low, g->active_low, "  active-low");
	is_int(s.bias, g->bias, "  bias");
	is_int(s.drive, g->drive, "  drive");
	is_int(s.debounce_ms, g->debounce_ms, "  debounce");
	is_int(s.poll, 0, "  edge events (no poll)");
	is_int(linespec_format(&s, buf, sizeof(buf)), 0, "  formats");
	is_str(buf, g->canonical, "  canonical text");
	memset(&s2, 0, sizeof(s2));
	is_int(linespec_parse(g->key, buf, &s2), 0, "  canonical parses");
	ok(memcmp(&s, &s2, sizeof(s)) == 0 ||
		(strcmp(s.chip, s2.chip) == 0 && s.offset == s2.offset &&
		    s.dir == s2.dir && s.active_low == s2.active_low &&
		    s.bias == s2.bias && s.drive == s2.drive &&
		    s.debounce_ms == s2.debounce_ms && s.poll == s2.poll),
	    "  round trip gives the same spec");
}

/* Checks one bad entry: -EINVAL, *ret untouched, a message naming it. */
static void
check_bad(const struct badcase *b)
{
	struct linespec s;
	const char *msg;
	int r;

	memset(&s, 0x5a, sizeof(s));
	error_clear();
	r = linespec_parse(b->key, b->value, &s);
	is_int(r, -EINVAL, "%s = \"%s\" is refused", b->key, b->value);
	msg = error_get();
	ok(msg != NULL && strstr(msg, b->want) != NULL, "  message says \"%s\"",
	    b->want);
	if (msg == NULL || strstr(msg, b->want) == NULL)
		diag("  message: %s", msg ? msg : "(none)");
	ok(msg != NULL && strncmp(msg, b->key, strlen(b->key)) == 0,
	    "  message starts with the key");
	ok(s.offset == 0x5a5a5a5a, "  result untouched");
}

int
main(void)
{
	enum linespec_role role;
	struct linespec s;
	char small[8], big[128];
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++)
		check_good(&goods[i]);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		check_bad(&bads[i]);

	is_int(linespec_key("socket", &role), -ENOENT,
	    "an ordinary option is not a line key");
	is_int(linespec_key("press-ms", &role), -ENOENT,
	    "press-ms is not a line key");
	is_int(linespec_key("hid-reset", &role), 0, "hid-reset is a line key");
	is_int(role, LINESPEC_HID_RESET, "  with its role");
	is_int(linespec_key("line.x", &role), 0, "line.x is a line key");
	is_int(role, LINESPEC_USER, "  a user line");
	is_int(linespec_role_dir(LINESPEC_CAPTURE_RESET), LINESPEC_OUTPUT,
	    "capture-reset is an output");
	is_int(linespec_role_dir(LINESPEC_HDD_LED), LINESPEC_INPUT,
	    "hdd-led is an input");

	is_int(linespec_parse("power-button", "gpiochip0:23", &s), 0,
	    "parses for format");
	is_int(linespec_format(&s, small, sizeof(small)), -ENOSPC,
	    "format into a small buffer is -ENOSPC");

	is_int(linespec_parse("hdd-led", "gpiochip1:2 poll debounce=3", &s), 0,
	    "poll parses");
	is_int(s.poll, 1, "  poll set");
	is_int(linespec_format(&s, big, sizeof(big)), 0, "  formats");
	is_str(big, "gpiochip1:2 input debounce=3 poll", "  canonical text");
	return tap_done();
}
