/*
 * spec.c -- gpiod-ctl's API as data (spec.h).
 */
#include "spec.h"

static const struct apispec_field f_line = {"line", APISPEC_STRING,
    APISPEC_REQUIRED, 1, 0, "the line's name (GET /state)"};
static const struct apispec_field f_ms = {"ms", APISPEC_INT, 0, 1, 600000,
    "how long to drive it, at most --max-pulse-ms; default --press-ms"};
static const struct apispec_field f_wait = {"wait", APISPEC_BOOL, 0, 0, 0,
    "answer when the pulse has ended (default true) or at once"};
static const struct apispec_field f_action = {"action", APISPEC_STRING,
    APISPEC_REQUIRED, 1, 0, "on, off, off-hard or reset"};
static const struct apispec_field f_value = {
    "value", APISPEC_INT, 0, 0, 1, "the logical value to read (test backend)"};
static const struct apispec_field f_level = {"level", APISPEC_INT, 0, 0, 1,
    "the electrical level to read (test backend)"};

static const struct apispec_field *const pulse_fields[] = {
    &f_line, &f_ms, &f_wait, NULL};
static const struct apispec_field *const atx_fields[] = {
    &f_action, &f_wait, NULL};
static const struct apispec_field *const input_fields[] = {
    &f_line, &f_value, &f_level, NULL};
static const struct apispec_field *const history_fields[] = {&f_line, NULL};

const struct apispec_route gpiod_ctl_api_routes[] = {
    [GPIOD_CTL_API_STATE] = {"state", HTTP_GET | HTTP_HEAD, "/state", 0, NULL,
	"Every line: name, role, value; the ATX state."},
    [GPIOD_CTL_API_METRICS] = {"metrics", HTTP_GET | HTTP_HEAD, "/metrics", 0,
	NULL, "Prometheus text."},
    [GPIOD_CTL_API_PULSE] = {"pulse", HTTP_POST, "/pulse", 0, pulse_fields,
	"Drive an output line active for ms, then back."},
    [GPIOD_CTL_API_ATX] = {"atx", HTTP_POST, "/atx", 0, atx_fields,
	"Press the power or reset button the way the action needs."},
    [GPIOD_CTL_API_TEST_INPUT] = {"test-input", HTTP_POST, "/test/input", 0,
	input_fields, "Set an input line (test backend only)."},
    [GPIOD_CTL_API_TEST_HISTORY] = {"test-history", HTTP_GET, "/test/history",
	APISPEC_QUERY, history_fields,
	"The levels an output was driven to (test backend only)."},
    [GPIOD_CTL_API_NROUTES] = {NULL, 0, NULL, 0, NULL, NULL},
};

const struct apispec gpiod_ctl_api = {"gpiod-ctl",
    "ATX buttons, LEDs and other lines (socket gpiod-ctl.sock, public "
    "prefix /api/gpio/).",
    gpiod_ctl_api_routes};
