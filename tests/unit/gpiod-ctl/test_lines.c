/*
 * test_lines.c -- lines over the test backend: config checks against the
 * chips, outputs held inactive from the first moment, inputs through edge
 * events and through the polling fallback, debouncing, active-low.
 */
#include <errno.h>
#include <string.h>

#include <event2/event.h>

#include "error.h"
#include "lines.h"
#include "tap.h"
#include "testbackend.h"

static const struct lines_config cfg = {
    .backend = "test",
    .debounce_ms = 20,
    .poll_ms = 10,
    .consumer = "test",
};

/* Runs the loop for ms milliseconds. */
static void
run_ms(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Builds a set of lines from key/value pairs; NULL-terminated. */
static struct lines *
make(const char *const *kv)
{
	struct lines *ls = lines_new();

	for (; kv[0] != NULL; kv += 2)
		if (lines_add(ls, kv[0], kv[1]) < 0)
			diag("add %s: %s", kv[0], error_get());
	return ls;
}

/* Expects lines_check() to fail with err and a message holding want. */
static void
check_fails(const char *const *kv, int err, const char *want, const char *what)
{
	struct lines *ls = make(kv);
	const char *msg;

	error_clear();
	is_int(lines_check(ls, &cfg), err, "%s is refused", what);
	msg = error_get();
	ok(msg != NULL && strstr(msg, want) != NULL, "  message has \"%s\"",
	    want);
	if (msg != NULL && strstr(msg, want) == NULL)
		diag("  message: %s", msg);
	lines_free(ls);
}

/* A bouncing input: toggled by a timer every 3 ms, ten times. */
struct bouncer {
	struct lines_backend *be;
	const char *chip;
	unsigned int offset;
	int n, level;
	struct event *ev;
};

/* Toggles the input once more. */
static void
bounce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bouncer *b = arg;
	struct timeval tv = {0, 3000};

	b->level = !b->level;
	testbackend_drive(b->be, b->chip, b->offset, b->level);
	if (++b->n < 9)
		evtimer_add(b->ev, &tv);
}

/* Counts debounced changes. */
static void
change_cb(struct line *l, int value, void *arg)
{
	int *n = arg;

	(*n)++;
}

static void
test_config_checks(void)
{
	const char *missing_chip[] = {"power-button", "gpiochip7:1", NULL};
	const char *missing_line[] = {"power-led", "gpiochip1:8", NULL};
	const char *twice[] = {
	    "power-led", "gpiochip0:5", "hdd-led", "kvmtest0:5", NULL};
	const char *twice_path[] = {"line.a", "/dev/gpiochip1:2 output",
	    "line.b", "gpiochip1:2 input", NULL};
	struct lines *ls;

	check_fails(missing_chip, -ENODEV, "power-button = gpiochip7:1",
	    "a missing chip");
	check_fails(missing_chip, -ENODEV, "no GPIO chip 'gpiochip7'",
	    "a missing chip");
	check_fails(missing_line, -ENODEV, "has 8 lines (offsets 0-7)",
	    "a missing line");
	check_fails(twice, -EINVAL,
	    "power-led and hdd-led both use "
	    "gpiochip0:5",
	    "one line by name and by label");
	check_fails(twice_path, -EINVAL, "line.a and line.b both use",
	    "one line by path and by name");

	ls = lines_new();
	is_int(lines_add(ls, "power-led", "gpiochip0:1"), 0, "first power-led");
	is_int(lines_add(ls, "power-led", "gpiochip0:2"), -EINVAL,
	    "a second power-led is refused");
	ok(strstr(error_get(), "given twice") != NULL, "  saying given twice");
	is_int(lines_add(ls, "press-ms", "100"), -ENOENT,
	    "an option key is not taken");
	is_int(lines_add(ls, "line.x", "gpiochip0:3"), -EINVAL,
	    "a user line without a direction is refused");
	lines_free(ls);

	ls = lines_new();
	error_clear();
	is_int(lines_check(ls, &(struct lines_config){.backend = "nope"}),
	    -EINVAL, "an unknown backend is refused");
	ok(error_get() && strstr(error_get(), "'nope'"), "  naming it");
	lines_free(ls);
}

/* --line KEY=VALUE: split, put (replacing), and refused saying how. */
static void
test_put_arg(void)
{
	static const struct {
		const char *arg, *want;
	} bad[] = {
	    {"power-led", "write KEY=VALUE"},
	    {"=gpiochip0:3", "write KEY=VALUE"},
	    {"press-ms=100", "--line press-ms: not a line key"},
	    {"power-led=gpiochip0:", "--line power-led: "},
	    {"line.x=gpiochip0:3", "--line line.x: "},
	};
	struct lines *ls = lines_new();
	size_t i;

	is_int(lines_put_arg(ls, "power-led=gpiochip0:3 active-low"), 0,
	    "--line power-led=... is taken");
	is_int(lines_put_arg(ls, "power-led=gpiochip0:4"), 0,
	    "a second --line power-led replaces the first");
	ok(lines_count(ls) == 1 && lines_spec(lines_at(ls, 0))->offset == 4 &&
		!lines_spec(lines_at(ls, 0))->active_low,
	    "  one power-led, the second's");
	is_int(lines_put_arg(ls, "line.fan=gpiochip1:2 output"), 0,
	    "--line line.fan=... is taken");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_clear();
		is_int(lines_put_arg(ls, bad[i].arg), -EINVAL,
		    "--line \"%s\" is refused", bad[i].arg);
		ok(error_get() != NULL && strstr(error_get(), bad[i].want),
		    "  saying \"%s\"", bad[i].want);
		if (error_get() != NULL && !strstr(error_get(), bad[i].want))
			diag("  message: %s", error_get());
	}
	is_int((int)lines_count(ls), 2, "nothing refused was added");
	lines_free(ls);
}

static void
test_outputs(struct event_base *base)
{
	const char *kv[] = {"power-button", "gpiochip0:0", "reset-button",
	    "kvmtest0:1 active-low", NULL};
	const struct testbackend_sample *h;
	struct lines *ls = make(kv);
	struct lines_backend *be;
	size_t n;
	int level;

	is_int(lines_open(ls, base, &cfg), 0, "outputs open");
	be = lines_backend(ls);
	is_str(lines_backend_name(ls), "test", "backend is named test");
	is_str(lines_chip(lines_find(ls, "reset-button")), "gpiochip0",
	    "a label resolves to the chip's name");
	testbackend_history(be, "gpiochip0", 0, &h, &n);
	is_int(n, 1, "power-button driven once at start");
	is_int(h[0].value, 0, "  inactive");
	is_int(h[0].level, 0, "  low");
	testbackend_history(be, "gpiochip0", 1, &h, &n);
	is_int(h[0].value, 0, "active-low reset-button starts inactive");
	is_int(h[0].level, 1, "  which is high");
	is_int(lines_set(lines_find(ls, "reset-button"), 1), 0, "press reset");
	testbackend_level(be, "gpiochip0", 1, &level);
	is_int(level, 0, "  an active-low line goes low when active");
	is_int(lines_value(lines_find(ls, "reset-button")), 1, "  value 1");
	is_int(testbackend_drive(be, "gpiochip0", 0, 1), -EINVAL,
	    "the test cannot drive an output from outside");
	lines_close(ls);
	testbackend_level(be, "gpiochip0", 1, &level);
	is_int(level, 1, "closing drives reset-button inactive (high)");
	testbackend_history(be, "gpiochip0", 1, &h, &n);
	is_int(h[n - 1].value, 0, "  last recorded value is inactive");
	is_int(lines_value(lines_find(ls, "power-button")), -1,
	    "closed lines have no value");
	lines_free(ls);
}

static void
test_inputs(struct event_base *base)
{
	const char *kv[] = {"power-led", "gpiochip0:2 debounce=60", "hdd-led",
	    "gpiochip1:3 active-low", "line.quick",
	    "gpiochip0:4 input debounce=0", "line.polled",
	    "gpiochip0:6 input poll debounce=0", NULL};
	struct lines *ls = make(kv);
	struct lines_backend *be;
	struct line *led, *hdd, *quick;
	struct bouncer b;
	int changes = 0;

	is_int(lines_open(ls, base, &cfg), 0, "inputs open");
	be = lines_backend(ls);
	lines_on_change(ls, change_cb, &changes);
	led = lines_find(ls, "power-led");
	hdd = lines_find(ls, "hdd-led");
	quick = lines_find(ls, "quick");
	is_int(lines_has_events(led), 1, "gpiochip0 input has edge events");
	is_int(lines_has_events(hdd), 0, "gpiochip1 input is polled");
	is_int(lines_value(led), 0, "power-led starts at its level, 0");
	is_int(lines_value(hdd), 1, "active-low hdd-led at level 0 reads 1");

	testbackend_drive(be, "gpiochip0", 2, 1);
	run_ms(base, 5);
	is_int(lines_value(led), 0, "within the debounce, the old value stays");
	run_ms(base, 150);
	is_int(lines_value(led), 1, "after the debounce, the new value");
	is_int(changes, 1, "  one change reported");

	testbackend_drive(be, "gpiochip1", 3, 1);
	run_ms(base, 60);
	is_int(lines_value(hdd), 0, "polled input follows its level");
	is_int(changes, 2, "  one more change");

	testbackend_drive(be, "gpiochip0", 4, 1);
	run_ms(base, 2);
	is_int(lines_value(quick), 1, "debounce=0 takes an edge at once");
	is_int(changes, 3, "  one more change");

	is_int(lines_has_events(lines_find(ls, "polled")), 0,
	    "'poll' polls even on a chip with edge events");
	testbackend_drive(be, "gpiochip0", 6, 1);
	run_ms(base, 30);
	is_int(lines_value(lines_find(ls, "polled")), 1, "  and follows it");
	changes--;

	/* 9 toggles 3 ms apart end high after starting low. */
	testbackend_drive(be, "gpiochip0", 2, 0);
	run_ms(base, 150);
	is_int(changes, 4, "power-led back off");
	changes = 0;
	b.be = be;
	b.chip = "gpiochip0";
	b.offset = 2;
	b.n = 0;
	b.level = 0;
	b.ev = evtimer_new(base, bounce_cb, &b);
	event_active(b.ev, EV_TIMEOUT, 0);
	run_ms(base, 300);
	is_int(b.n, 9, "the bouncer toggled 9 times");
	is_int(
	    lines_value(led), 1, "a bouncing LED settles on its final value");
	is_int(changes, 1, "  and reports one change, not nine");
	is_int(lines_changes(led), 3, "power-led counted 3 changes in all");
	event_free(b.ev);
	ok(lines_set(led, 1) == -EINVAL, "an input cannot be driven");
	lines_free(ls);
}

int
main(void)
{
	struct event_base *base = event_base_new();

	test_config_checks();
	test_put_arg();
	test_outputs(base);
	test_inputs(base);
	event_base_free(base);
	return tap_done();
}
