/*
 * reset.h -- the body of POST .../Actions/ComputerSystem.Reset, turned into
 * the call on gpiod-ctl's socket that does it (the parser is pure, fuzzed:
 * tests/fuzz/redfishd/fuzz_reset.c), and PowerCycle's sequence of calls.
 */
#ifndef REDFISHD_RESET_H
#define REDFISHD_RESET_H

#include <stddef.h>

#include <jansson.h>

struct client_reply;
struct event_base;

/* ResetType's allowable values, NULL-terminated. */
extern const char *const redfish_reset_types[];

/*
 * Parses body (len bytes, JSON {"ResetType": ...}).  0 with *ret_target
 * (gpiod-ctl's path) and *ret_call (its JSON body, a new reference); 1 the
 * same for PowerCycle, whose call is the forced off that
 * redfish_power_cycle() starts with; or -EINVAL with *ret_error a Redfish
 * error body (a new reference) for a 400.
 */
int redfish_reset_parse(const char *body, size_t len, const char **ret_target,
    json_t **ret_call, json_t **ret_error);

/* A gpiod-ctl call's outcome as the Reset's: 204, or the status with
 * *ret_error a Redfish error (gpiod-ctl's reason; a new reference). */
int redfish_reset_result(int result, struct client_reply *, json_t **ret_error);

/* The end of a PowerCycle: 204 (error NULL), or the status and a Redfish
 * error (the callee's reference). */
typedef void redfish_reset_cb(int status, json_t *error, void *arg);

/*
 * PowerCycle on an event loop: off_call (from redfish_reset_parse()) on
 * gpiod-ctl's /atx, then GET /state every 100 ms until the power LED is
 * dark and gpiod-ctl takes a press again (led_wait_ms / 100 times at
 * most: led_wait_ms and the calls' own time), then
 * {"action": "on"}.  Each call is bounded by timeout_ms.  A refusal or a
 * failure on the way ends it with gpiod-ctl's reason; an LED still lit
 * then ends it with 504 and nothing more pressed.
 */
void redfish_power_cycle(struct event_base *, const char *gpiod_socket,
    json_t *off_call, int timeout_ms, int led_wait_ms, redfish_reset_cb *done,
    void *arg);

#endif
