/*
 * reset.c -- ResetType onto gpiod-ctl's ATX actions (reset.h).  gpiod-ctl
 * checks the power LED: "on" presses only when the LED is off, "off",
 * "off-hard" and "reset" only when it is on (409 otherwise).
 * PushPowerButton is a plain press of the power button, whatever the LED.
 * PowerCycle is "off-hard", a wait (bounded) until the LED is dark and
 * gpiod-ctl's lockout is over, then "on": three calls on gpiod-ctl's
 * socket, each asynchronous, the waits on libevent timers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "client.h"
#include "error.h"
#include "log.h"
#include "reset.h"
#include "resource.h"
#include "xmalloc.h"

static const struct {
	const char *type;
	const char *target; /* gpiod-ctl's path */
	const char *action; /* /atx's action; NULL: /pulse of power-button */
} map[] = {
    {"On", "/atx", "on"},
    {"ForceOff", "/atx", "off-hard"},
    {"GracefulShutdown", "/atx", "off"},
    {"ForceRestart", "/atx", "reset"},
    {"PowerCycle", "/atx", "off-hard"}, /* then "on": redfish_power_cycle() */
    {"PushPowerButton", "/pulse", NULL},
};

const char *const redfish_reset_types[] = {"On", "ForceOff", "GracefulShutdown",
    "ForceRestart", "PowerCycle", "PushPowerButton", NULL};

int
redfish_reset_parse(const char *body, size_t len, const char **ret_target,
    json_t **ret_call, json_t **ret_error)
{
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const char *type = json_string_value(json_object_get(o, "ResetType"));
	int cycle;

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
		cycle = strcmp(type, "PowerCycle") == 0; /* before o goes */
		json_decref(o);
		return cycle;
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

int
redfish_reset_result(int result, struct client_reply *cr, json_t **ret_error)
{
	const char *msg = NULL;
	int status;

	*ret_error = NULL;
	if (result == 0 && cr->status == 200)
		return 204;
	if (result == 0)
		msg = json_string_value(json_object_get(
		    json_object_get(cr->json, "error"), "message"));
	status = result < 0 ? 503 : cr->status == 409 ? 409 : 502;
	if (msg == NULL)
		msg = result < 0 ? "gpiod-ctl does not answer."
				 : "gpiod-ctl failed.";
	*ret_error = redfish_error("GeneralError", msg,
	    status == 409 ? "Check PowerState: the power LED decides which "
			    "ResetType applies."
			  : "Check gpiod-ctl.");
	return status;
}

/* --- PowerCycle --- */

#define CYCLE_POLL_MS 100

struct cycle {
	struct event_base *base;
	const char *socket;
	int timeout_ms;	 /* each call on gpiod-ctl */
	int led_wait_ms; /* after the forced off, for the LED and lockout */
	int polls;	 /* of /state since the forced off */
	redfish_reset_cb *done;
	void *arg;
};

static void
cycle_end(struct cycle *c, int status, json_t *error)
{
	c->done(status, error, c->arg);
	free(c);
}

/* A gpiod-ctl call's outcome: 0 to go on, else the cycle has ended. */
static int
cycle_check(struct cycle *c, int result, struct client_reply *cr)
{
	json_t *error;
	int status = redfish_reset_result(result, cr, &error);

	if (status == 204)
		return 0;
	cycle_end(c, status, error);
	return -1;
}

static void cycle_state_cb(int, struct client_reply *, void *);

static void
cycle_on_cb(int result, struct client_reply *cr, void *arg)
{
	struct cycle *c = arg;

	if (cycle_check(c, result, cr) == 0) {
		log_info("PowerCycle: on again");
		cycle_end(c, 204, NULL);
	}
}

static void
cycle_poll(evutil_socket_t fd, short what, void *arg)
{
	struct cycle *c = arg;

	if (client_call_async(c->base, c->socket, "GET", "/state", NULL, 2000,
		cycle_state_cb, c) < 0)
		cycle_state_cb(-1, NULL, c);
}

/* Waiting for the LED to go dark and the lockout to end. */
static void
cycle_state_cb(int result, struct client_reply *cr, void *arg)
{
	struct cycle *c = arg;
	struct timeval tv = {0, CYCLE_POLL_MS * 1000};
	json_t *atx, *on;
	const char *power;

	if (cycle_check(c, result, cr) < 0)
		return;
	atx = json_object_get(json_object_get(cr->json, "result"), "atx");
	power = json_string_value(json_object_get(atx, "power"));
	if (power != NULL && strcmp(power, "off") == 0 &&
	    !json_is_true(json_object_get(atx, "busy")) &&
	    json_number_value(json_object_get(atx, "lockout_ms")) <= 0) {
		on = json_pack("{s:s}", "action", "on");
		if (client_call_async(c->base, c->socket, "POST", "/atx", on,
			c->timeout_ms, cycle_on_cb, c) < 0)
			cycle_on_cb(-1, NULL, c);
		json_decref(on);
		return;
	}
	if (++c->polls * CYCLE_POLL_MS > c->led_wait_ms) {
		log_warnx(
		    "PowerCycle: the power LED is still %s after ForceOff; not pressed on",
		    power ? power : "unknown");
		cycle_end(c, 504,
		    redfish_error("GeneralError",
			"PowerCycle: the power LED did not go dark in time "
			"after the forced off; power was not pressed on again.",
			"Check PowerState and the power LED's wiring; press "
			"On when the target is off."));
		return;
	}
	if (event_base_once(c->base, -1, EV_TIMEOUT, cycle_poll, c, &tv) < 0)
		xmalloc_fatal("redfishd");
}

static void
cycle_off_cb(int result, struct client_reply *cr, void *arg)
{
	struct cycle *c = arg;

	if (cycle_check(c, result, cr) < 0)
		return;
	log_info("PowerCycle: forced off; waiting for the power LED");
	cycle_state_cb(0, cr, c); /* /atx's reply has the atx state too */
}

void
redfish_power_cycle(struct event_base *base, const char *gpiod_socket,
    json_t *off_call, int timeout_ms, int led_wait_ms, redfish_reset_cb *done,
    void *arg)
{
	struct cycle *c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->socket = gpiod_socket;
	c->timeout_ms = timeout_ms;
	c->led_wait_ms = led_wait_ms;
	c->done = done;
	c->arg = arg;
	if (client_call_async(base, gpiod_socket, "POST", "/atx", off_call,
		timeout_ms, cycle_off_cb, c) < 0)
		cycle_off_cb(-1, NULL, c);
}
