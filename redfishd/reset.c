/*
 * reset.c -- ResetType onto gpiod-ctl's ATX actions (reset.h).  gpiod-ctl
 * checks the power LED: "on" presses only when the LED is off, "off",
 * "off-hard" and "reset" only when it is on (409 otherwise).
 * PushPowerButton is a plain press of the power button, whatever the LED.
 * PowerCycle is not offered: it would need off, a wait for the LED, on.
 */
#include <errno.h>
#include <string.h>

#include "reset.h"
#include "resource.h"

static const struct {
	const char *type;
	const char *target; /* gpiod-ctl's path */
	const char *action; /* /atx's action; NULL: /pulse of power-button */
} map[] = {
    {"On", "/atx", "on"},
    {"ForceOff", "/atx", "off-hard"},
    {"GracefulShutdown", "/atx", "off"},
    {"ForceRestart", "/atx", "reset"},
    {"PushPowerButton", "/pulse", NULL},
};

const char *const redfish_reset_types[] = {"On", "ForceOff", "GracefulShutdown",
    "ForceRestart", "PushPowerButton", NULL};

int
redfish_reset_parse(const char *body, size_t len, const char **ret_target,
    json_t **ret_call, json_t **ret_error)
{
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const char *type = json_string_value(json_object_get(o, "ResetType"));

	*ret_call = *ret_error = NULL;
	if (!json_is_object(o)) {
		*ret_error = redfish_error("MalformedJSON",
		    "The request body is not a JSON object.",
		    "Send {\"ResetType\": \"On\"} or another allowable value.");
		json_decref(o);
		return -EINVAL;
	}
	for (size_t i = 0; type != NULL && i < sizeof(map) / sizeof(map[0]);
	     i++) {
		if (strcmp(map[i].type, type) != 0)
			continue;
		*ret_target = map[i].target;
		*ret_call = map[i].action != NULL
		    ? json_pack("{s:s}", "action", map[i].action)
		    : json_pack("{s:s}", "line", "power-button");
		json_decref(o);
		return 0;
	}
	*ret_error = redfish_error(
	    type ? "PropertyValueNotInList" : "ActionParameterMissing",
	    type ? "The value of ResetType is not one of "
		   "ResetType@Redfish.AllowableValues."
		 : "The action needs the parameter ResetType (a string).",
	    "Resubmit with a ResetType from "
	    "ResetType@Redfish.AllowableValues.");
	json_decref(o);
	return -EINVAL;
}
