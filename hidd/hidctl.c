/*
 * hidctl.c -- hidd from a shell: state, keys, mouse, paste, release,
 * macros, the jiggler.
 *
 * The commands over hidd's API description (spec.c); common/tool.c does
 * the options, arguments, --help, the call, --json and the exit status
 * (docs/tools.md).  key and click are presses: down, then up.
 */
#include <stdio.h>

#include <jansson.h>

#include "spec.h"
#include "tool.h"

/* "on" or "off" for a member of o. */
static const char *
onoff(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key)) ? "on" : "off";
}

/* /state briefly. */
static void
print_state(const struct tool_call *c, json_t *res)
{
	json_t *leds = json_object_get(res, "leds"), *v, *paste;
	json_t *held = json_object_get(res, "held");
	const char *reason = json_string_value(json_object_get(res, "reason"));
	size_t i;

	printf("backend %s, %s%s%s\n",
	    json_string_value(json_object_get(res, "backend")),
	    json_is_true(json_object_get(res, "online")) ? "online" : "offline",
	    reason ? ": " : "", reason ? reason : "");
	if (json_is_true(json_object_get(leds, "known")))
		printf("LEDs: num %s, caps %s, scroll %s\n", onoff(leds, "num"),
		    onoff(leds, "caps"), onoff(leds, "scroll"));
	else
		printf("LEDs: unknown\n");
	printf("held:");
	json_array_foreach(json_object_get(held, "modifiers"), i, v)
	    printf(" %s", json_string_value(v));
	json_array_foreach(json_object_get(held, "keys"), i, v)
	    printf(" %s", json_string_value(v));
	printf("\n");
	paste = json_object_get(res, "paste");
	if (json_is_true(json_object_get(paste, "active")))
		printf("paste: %lld of %lld keystrokes\n",
		    (long long)json_integer_value(
			json_object_get(paste, "done")),
		    (long long)json_integer_value(
			json_object_get(paste, "keystrokes")));
	printf("clients: %lld\n",
	    (long long)json_integer_value(json_object_get(res, "clients")));
}

static const char *const key_args[] = {"code", NULL};
static const struct tool_word key_words[] = {
    {"down", "down", "true"},
    {"up", "down", "false"},
    {"press", NULL, NULL},
    {NULL, NULL, NULL},
};
static const char *const type_args[] = {"text", "layout", "delay_ms", NULL};
static const char *const move_args[] = {"x", "y", NULL};
static const char *const rel_args[] = {"dx", "dy", NULL};
static const char *const button_args[] = {"button", NULL};
static const struct tool_word button_words[] = {
    {"down", "down", "true"},
    {"up", "down", "false"},
    {NULL, NULL, NULL},
};
static const struct tool_word click_dflt[] = {
    {"", "button", "left"},
    {NULL, NULL, NULL},
};
static const char *const wheel_args[] = {"wheel_dy", "wheel_dx", NULL};
static const char *const macro_args[] = {"name", NULL};
static const struct tool_word jiggler_words[] = {
    {"on", "enabled", "true"},
    {"off", "enabled", "false"},
    {NULL, NULL, NULL},
};
static const char *const jiggler_args[] = {"interval", NULL};

#define HIDD(r) (&hidd_api_routes[HIDD_API_##r])

static const struct tool_cmd hidctl_cmds[] = {
    {"state", HIDD(STATE), .print = print_state},
    {"layouts", HIDD(LAYOUTS), .print = tool_print_members},
    {"key", HIDD(KEY), key_args, 1, key_words, .flags = TOOL_PRESS},
    {"type", HIDD(PASTE), type_args, 1, .print = tool_print_members,
	.help = "Types TEXT as keystrokes (POST /paste)."},
    {"cancel", HIDD(PASTE_CANCEL), .print = tool_print_members},
    {"release", HIDD(RELEASE)},
    {"move", HIDD(MOUSE), move_args, 2,
	.summary = "The absolute pointer, 0..32767 each way."},
    {"rel", HIDD(MOUSE), rel_args, 2, .summary = "The relative pointer."},
    {"click", HIDD(MOUSE), button_args, 0, .dflt = click_dflt,
	.flags = TOOL_PRESS,
	.summary = "Press and release a button (default left)."},
    {"button", HIDD(MOUSE), button_args, 1, button_words,
	.summary = "A button down or up."},
    {"wheel", HIDD(MOUSE), wheel_args, 1,
	.summary = "Wheel notches; WHEEL_DY > 0 scrolls down."},
    {"mouse", HIDD(MOUSE)},
    {"macros", HIDD(MACROS), .print = tool_print_members},
    {"macro", HIDD(MACRO_RUN), macro_args, 1, .print = tool_print_members,
	.help = "Plays the stored macro NAME (POST /macro/run)."},
    {"macro-cancel", HIDD(MACRO_CANCEL), .print = tool_print_members},
    {"jiggler", HIDD(JIGGLER), jiggler_args, 0, jiggler_words,
	.print = tool_print_members,
	.summary = "The jiggler on or off, and its interval in seconds."},
    {NULL, NULL},
};

static const struct tool hidctl = {
    "hidctl", &hidd_api, "/run/kaputtkvm/hidd.sock", 10, hidctl_cmds};

int
main(int argc, char **argv)
{
	return tool_main(&hidctl, argc, argv);
}
