/*
 * spec.c -- capd's API as data (spec.h).
 */
#include "spec.h"

static const struct apispec_field f_stream_fps = {"fps", APISPEC_INT, 0, 1, 120,
    "frames a second at most for this client; default the capture's"};
static const struct apispec_field f_quality = {
    "quality", APISPEC_INT, 0, 1, 100, "JPEG quality"};
static const struct apispec_field f_fps = {
    "fps", APISPEC_INT, 0, 1, 120, "frames a second to capture"};
static const struct apispec_field f_resolution = {"resolution", APISPEC_STRING,
    0, 3, 0, "\"WxH\", one the device offers (GET /state)"};

static const struct apispec_field f_h264_bitrate = {
    "h264_bitrate", APISPEC_INT, 0, 100, 50000, "H.264 target bitrate, kbit/s"};
static const struct apispec_field f_h264_keyint = {"h264_keyint", APISPEC_INT,
    0, 1, 600, "H.264 frames from one keyframe to the next"};
static const struct apispec_field f_h264_fps = {
    "h264_fps", APISPEC_INT, 0, 1, 60, "frame rate H.264 rate control assumes"};

static const struct apispec_field f_subsampling = {"subsampling", APISPEC_INT,
    0, 420, 422,
    "JPEG chroma subsampling for raw sources: 422 or 420 (fewer bytes)"};

static const struct apispec_field f_pattern = {"pattern", APISPEC_STRING, 0, 1,
    16, "what the test pattern shows: \"bars\" or \"console\""};

static const struct apispec_field f_edid_preset = {"preset", APISPEC_STRING, 0,
    1, 32, "a built-in EDID: \"default\", \"1280x720\" or \"1024x768\""};
static const struct apispec_field f_edid_hex = {"hex", APISPEC_STRING, 0, 256,
    1024, "an EDID in hex, 256 digits a 128-byte block, 1 to 4 blocks"};
static const struct apispec_field *const edid_fields[] = {
    &f_edid_preset, &f_edid_hex, NULL};

static const struct apispec_field *const stream_fields[] = {
    &f_stream_fps, NULL};
static const struct apispec_field *const params_fields[] = {&f_quality, &f_fps,
    &f_resolution, &f_subsampling, &f_pattern, &f_h264_bitrate, &f_h264_keyint,
    &f_h264_fps, NULL};

const struct apispec_route capd_api_routes[] = {
    [CAPD_API_STREAM] = {"stream", HTTP_GET, "/stream", APISPEC_QUERY,
	stream_fields,
	"MJPEG (multipart/x-mixed-replace), until the "
	"client goes."},
    [CAPD_API_SNAPSHOT] = {"snapshot", HTTP_GET | HTTP_HEAD, "/snapshot", 0,
	NULL, "The newest frame as one JPEG."},
    [CAPD_API_STATE] = {"state", HTTP_GET | HTTP_HEAD, "/state", 0, NULL,
	"Device, signal, resolution, rate, quality, clients."},
    [CAPD_API_METRICS] = {"metrics", HTTP_GET | HTTP_HEAD, "/metrics", 0, NULL,
	"Prometheus text."},
    [CAPD_API_PARAMS] = {"params", HTTP_POST, "/params", 0, params_fields,
	"Change quality, rate, resolution or H.264's bitrate, keyframe "
	"interval and frame rate: all checked before any is "
	"applied; answers with the new state."},
    [CAPD_API_H264] = {"h264", HTTP_GET, "/h264", 0, NULL,
	"H.264 over a WebSocket: one access unit a message (PROTOCOL.md)."},
    [CAPD_API_EDID] = {"edid", HTTP_GET | HTTP_HEAD, "/edid", 0, NULL,
	"The HDMI input's EDID, decoded (modes, name, serial) and in hex."},
    [CAPD_API_SET_EDID] = {"set-edid", HTTP_POST, "/edid", 0, edid_fields,
	"Load an EDID, a preset or hex (one of them): checked first, a bad "
	"one is refused and the old one stays; the source re-reads it."},
    [CAPD_API_NROUTES] = {NULL, 0, NULL, 0, NULL, NULL},
};

const struct apispec capd_api = {"capd",
    "The target's screen (socket capd.sock, public prefix /api/video/).",
    capd_api_routes};
