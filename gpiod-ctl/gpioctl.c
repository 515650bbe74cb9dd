/*
 * gpioctl.c -- gpiod-ctl from a shell: state, pulse, atx.
 *
 * The commands over gpiod-ctl's API description (spec.c); common/tool.c
 * does the options, arguments, --help, the call, --json and the exit
 * status (docs/tools.md).  A press is waited for unless --no-wait, so the
 * default --timeout is a minute.
 */
#include <stdio.h>

#include <jansson.h>

#include "spec.h"
#include "tool.h"

/* Prints a value of a line object as text. */
static void
print_lines(json_t *lines)
{
	const char *name;
	json_t *l, *v;
	char where[96];

	printf("%-16s %-14s %-7s %-22s %s\n", "LINE", "ROLE", "DIR",
	    "CHIP:OFFSET", "VALUE");
	json_object_foreach(lines, name, l)
	{
		snprintf(where, sizeof(where), "%s:%lld%s",
		    json_string_value(json_object_get(l, "chip")),
		    (long long)json_integer_value(json_object_get(l, "offset")),
		    json_is_true(json_object_get(l, "active_low")) ? " (al)"
								   : "");
		v = json_object_get(l, "value");
		printf("%-16s %-14s %-7s %-22s %s%s\n", name,
		    json_string_value(json_object_get(l, "role")),
		    json_string_value(json_object_get(l, "direction")), where,
		    json_is_integer(v) ? (json_integer_value(v) ? "1" : "0")
				       : "?",
		    json_is_true(json_object_get(l, "busy")) ? " busy" : "");
	}
}

/* Prints /state as text. */
static void
print_state(const struct tool_call *c, json_t *res)
{
	json_t *atx = json_object_get(res, "atx"), *last;

	printf(
	    "backend %s\n", json_string_value(json_object_get(res, "backend")));
	printf("power %s%s\n", json_string_value(json_object_get(atx, "power")),
	    json_is_true(json_object_get(atx, "busy")) ? ", busy" : "");
	last = json_object_get(atx, "last_action");
	if (json_is_object(last))
		printf("last action %s: %s at %s\n",
		    json_string_value(json_object_get(last, "action")),
		    json_string_value(json_object_get(last, "result")),
		    json_string_value(json_object_get(last, "time")));
	print_lines(json_object_get(res, "lines"));
}

/* Prints the result of a press. */
static void
print_press(const struct tool_call *c, json_t *res)
{
	json_t *held = json_object_get(res, "held_ms");

	if (json_is_string(json_object_get(res, "action")))
		printf("atx %s: ",
		    json_string_value(json_object_get(res, "action")));
	if (json_is_number(held))
		printf("%s pressed for %.0f ms\n",
		    json_string_value(json_object_get(res, "line")),
		    json_number_value(held));
	else
		printf("%s: %lld ms press started\n",
		    json_string_value(json_object_get(res, "line")),
		    (long long)json_integer_value(json_object_get(res, "ms")));
}

static const struct tool_word wait_words[] = {
    {"--no-wait", "wait", "false"},
    {NULL, NULL, NULL},
};
static const char *const pulse_args[] = {"line", "ms", NULL};
static const char *const atx_args[] = {"action", NULL};

#define GPIOD(r) (&gpiod_ctl_api_routes[GPIOD_CTL_API_##r])

static const struct tool_cmd gpioctl_cmds[] = {
    {"state", GPIOD(STATE), .print = print_state},
    {"pulse", GPIOD(PULSE), pulse_args, 1, wait_words, .print = print_press},
    {"atx", GPIOD(ATX), atx_args, 1, wait_words, .print = print_press,
	.help = "Refused when the power LED says the press makes no sense."},
    {NULL, NULL},
};

static const struct tool gpioctl = {"gpioctl", &gpiod_ctl_api,
    "/run/kaputtkvm/gpiod-ctl.sock", 60, gpioctl_cmds};

int
main(int argc, char **argv)
{
	return tool_main(&gpioctl, argc, argv);
}
