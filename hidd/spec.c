/*
 * spec.c -- hidd's API as data (spec.h).  A field is described once and used
 * by the HTTP route and the WebSocket message that take it, so "down" or
 * "x" has one type and one range however it arrives.
 */
#include "spec.h"
#include "hid.h"
#include "macro.h"
#include "report.h"

static const struct apispec_field f_code = {"code", APISPEC_STRING,
    APISPEC_REQUIRED, 1, 0,
    "the key, as a KeyboardEvent.code: \"KeyA\", \"Enter\", \"F12\""};
static const struct apispec_field f_down = {"down", APISPEC_BOOL, 0, 0, 0,
    "true presses, false releases; default true"};
static const struct apispec_field f_x = {"x", APISPEC_INT, 0, 0, REPORT_ABS_MAX,
    "absolute position, left to right (with y)"};
static const struct apispec_field f_y = {"y", APISPEC_INT, 0, 0, REPORT_ABS_MAX,
    "absolute position, top to bottom (with x)"};
static const struct apispec_field f_x_req = {"x", APISPEC_INT, APISPEC_REQUIRED,
    0, REPORT_ABS_MAX, "absolute position, left to right"};
static const struct apispec_field f_y_req = {"y", APISPEC_INT, APISPEC_REQUIRED,
    0, REPORT_ABS_MAX, "absolute position, top to bottom"};
static const struct apispec_field f_dx = {"dx", APISPEC_INT, 0, -32767, 32767,
    "relative move right (sent in steps of at most 127)"};
static const struct apispec_field f_dy = {"dy", APISPEC_INT, 0, -32767, 32767,
    "relative move down (sent in steps of at most 127)"};
static const struct apispec_field f_button = {
    "button", APISPEC_STRING, 0, 1, 0, "left, right, middle, back or forward"};
static const struct apispec_field f_button_req = {"button", APISPEC_STRING,
    APISPEC_REQUIRED, 1, 0, "left, right, middle, back or forward"};
static const struct apispec_field f_wheel_dx = {
    "wheel_dx", APISPEC_INT, 0, -127, 127, "wheel notches to the right"};
static const struct apispec_field f_wheel_dy = {"wheel_dy", APISPEC_INT, 0,
    -127, 127, "wheel notches down (the browser's sense)"};
static const struct apispec_field f_text = {
    "text", APISPEC_STRING, APISPEC_REQUIRED, 0, 0, "the text to type (UTF-8)"};
static const struct apispec_field f_layout = {"layout", APISPEC_STRING, 0, 1, 0,
    "the target's XKB layout (GET /layouts); default the configured one"};
static const struct apispec_field f_delay = {"delay_ms", APISPEC_INT, 0, 0,
    1000, "pause between keystrokes; default the configured one"};
static const struct apispec_field f_id = {"id", APISPEC_INT, 0, 0,
    9007199254740991LL, "answered with {\"t\":\"ack\",\"id\":N} when done"};

static const struct apispec_field f_macro = {"name", APISPEC_STRING,
    APISPEC_REQUIRED, 1, MACRO_NAME_MAX, "the macro's name (GET /macros)"};
static const struct apispec_field f_macro_layout = {"layout", APISPEC_STRING, 0,
    1, 0,
    "the text steps' XKB layout when neither step nor macro names one; "
    "default the configured one"};
static const struct apispec_field f_macro_delay = {"delay_ms", APISPEC_INT, 0,
    0, 1000, "pause between reports; default the configured paste delay"};
static const struct apispec_field f_jig_enabled = {
    "enabled", APISPEC_BOOL, 0, 0, 0, "true switches the jiggler on"};
static const struct apispec_field f_jig_interval = {"interval", APISPEC_INT, 0,
    HID_JIGGLER_MIN, HID_JIGGLER_MAX, "seconds without input before a nudge"};

static const struct apispec_field *const macro_run_fields[] = {
    &f_macro, &f_macro_layout, &f_macro_delay, NULL};
static const struct apispec_field *const jiggler_fields[] = {
    &f_jig_enabled, &f_jig_interval, NULL};
static const struct apispec_field *const key_fields[] = {
    &f_code, &f_down, NULL};
static const struct apispec_field *const mouse_fields[] = {&f_x, &f_y, &f_dx,
    &f_dy, &f_button, &f_down, &f_wheel_dx, &f_wheel_dy, NULL};
static const struct apispec_field *const paste_fields[] = {
    &f_text, &f_layout, &f_delay, NULL};

const struct apispec_route hidd_api_routes[] = {
    [HIDD_API_STATE] = {"state", HTTP_GET | HTTP_HEAD, "/state", 0, NULL,
	"Everything: backend, online, LEDs, held keys, mouse, paste, "
	"layouts, devices."},
    [HIDD_API_LAYOUTS] = {"layouts", HTTP_GET | HTTP_HEAD, "/layouts", 0, NULL,
	"The XKB layouts paste accepts, and the default."},
    [HIDD_API_METRICS] = {"metrics", HTTP_GET | HTTP_HEAD, "/metrics", 0, NULL,
	"Prometheus text."},
    [HIDD_API_WS] = {"ws", HTTP_GET, "/ws", 0, NULL,
	"The live-input WebSocket (its messages below, and PROTOCOL.md)."},
    [HIDD_API_KEY] = {"key", HTTP_POST, "/key", 0, key_fields,
	"Press or release one key."},
    [HIDD_API_MOUSE] = {"mouse", HTTP_POST, "/mouse", 0, mouse_fields,
	"Move (x/y or dx/dy, not both), press a button, turn the wheel: "
	"any together, checked before anything is sent."},
    [HIDD_API_RELEASE] = {"release", HTTP_POST, "/release", 0, NULL,
	"Every key and button up (cancels a paste)."},
    [HIDD_API_PASTE] = {"paste", HTTP_POST, "/paste", 0, paste_fields,
	"Type text on the target in its keyboard layout."},
    [HIDD_API_PASTE_CANCEL] = {"paste-cancel", HTTP_POST, "/paste/cancel", 0,
	NULL, "Stop the paste being typed (or the macro being played)."},
    [HIDD_API_MACROS] = {"macros", HTTP_GET | HTTP_HEAD, "/macros", 0, NULL,
	"The stored macros: name and number of steps."},
    [HIDD_API_MACRO_GET] = {"macro", HTTP_GET | HTTP_HEAD,
	HIDD_API_MACRO_PREFIX, APISPEC_RAW, NULL,
	"The macro NAME as JSON: {\"steps\": [...]}."},
    [HIDD_API_MACRO_PUT] = {"macro-put", HTTP_PUT, HIDD_API_MACRO_PREFIX,
	APISPEC_RAW, NULL,
	"Store the body (JSON: {\"steps\": [...]}, see PROTOCOL.md) as the "
	"macro NAME, checked whole first; replaces one of that name."},
    [HIDD_API_MACRO_DELETE] = {"macro-delete", HTTP_DELETE,
	HIDD_API_MACRO_PREFIX, APISPEC_RAW, NULL, "Remove the macro NAME."},
    [HIDD_API_MACRO_RUN] = {"macro-run", HTTP_POST, "/macro/run", 0,
	macro_run_fields,
	"Play a stored macro through the paste queue (live keys are refused, 409, while it plays)."},
    [HIDD_API_MACRO_CANCEL] = {"macro-cancel", HTTP_POST, "/macro/cancel", 0,
	NULL, "Stop the macro being played; every key goes up."},
    [HIDD_API_JIGGLER] = {"jiggler", HTTP_POST, "/jiggler", 0, jiggler_fields,
	"Switch the jiggler on or off, set its interval (either or both)."},
    [HIDD_API_NROUTES] = {NULL, 0, NULL, 0, NULL, NULL},
};

static const struct apispec_field *const ws_key_fields[] = {
    &f_code, &f_down, &f_id, NULL};
static const struct apispec_field *const ws_abs_fields[] = {
    &f_x_req, &f_y_req, &f_id, NULL};
static const struct apispec_field *const ws_rel_fields[] = {
    &f_dx, &f_dy, &f_id, NULL};
static const struct apispec_field *const ws_button_fields[] = {
    &f_button_req, &f_down, &f_id, NULL};
static const struct apispec_field *const ws_wheel_fields[] = {
    &f_wheel_dx, &f_wheel_dy, &f_id, NULL};
static const struct apispec_field *const ws_none_fields[] = {&f_id, NULL};
const struct apispec_field *const hidd_api_id_fields[] = {&f_id, NULL};

const struct apispec_route hidd_api_messages[] = {
    [HIDD_API_MSG_KEY] = {"key", 0, NULL, APISPEC_WS, ws_key_fields,
	"As POST /key."},
    [HIDD_API_MSG_ABS] = {"abs", 0, NULL, APISPEC_WS, ws_abs_fields,
	"Absolute pointer; both required."},
    [HIDD_API_MSG_REL] = {"rel", 0, NULL, APISPEC_WS, ws_rel_fields,
	"Relative pointer."},
    [HIDD_API_MSG_BUTTON] = {"button", 0, NULL, APISPEC_WS, ws_button_fields,
	"A button, on the pointer last moved."},
    [HIDD_API_MSG_WHEEL] = {"wheel", 0, NULL, APISPEC_WS, ws_wheel_fields,
	"Wheel notches, the same fields as POST /mouse's."},
    [HIDD_API_MSG_RELEASE] = {"release", 0, NULL, APISPEC_WS, ws_none_fields,
	"Every key and button up (cancels a paste)."},
    [HIDD_API_MSG_PING] = {"ping", 0, NULL, APISPEC_WS, ws_none_fields,
	"Keeps held keys alive; answered with {\"t\":\"pong\"}."},
    [HIDD_API_NMSGS] = {NULL, 0, NULL, 0, NULL, NULL},
};

const struct apispec hidd_api = {"hidd",
    "Keyboard and mouse on the target (socket hidd.sock, public prefix "
    "/api/hid/).",
    hidd_api_routes};
const struct apispec hidd_api_ws = {"hidd WebSocket",
    "JSON text messages on /ws, each with \"t\" naming its type.",
    hidd_api_messages};
