/*
 * capctl.c -- capd from a shell: state, snapshot, params, edid; and
 * ocrd's ocr (the text in a region of the newest frame, over ocrd's
 * socket: --ocrd-socket).
 *
 * The commands over capd's and ocrd's API descriptions (spec.c,
 * ../ocrd/spec.c); common/tool.c does the options, arguments, --help, the
 * call, --json and the exit status (docs/tools.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../ocrd/spec.h"
#include "client.h"
#include "spec.h"
#include "tool.h"

/* What capctl ocr waits beyond ocrd's own deadline (its snapshot call). */
#define OCR_MARGIN_MS 5000

/* A number from a JSON object, or 0. */
static double
num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* /state (and the new state /params answers with) as text. */
static void
print_state(const struct tool_call *c, json_t *res)
{
	json_t *clients = json_object_get(res, "clients"), *cl, *enc;
	const char *reason = json_string_value(json_object_get(res, "reason"));
	size_t i;

	enc = json_object_get(res, "encoder");
	printf("source      %s\n",
	    json_string_value(json_object_get(res, "source")));
	printf("signal      %s%s%s\n",
	    json_is_true(json_object_get(res, "online")) ? "online" : "offline",
	    reason ? ": " : "", reason ? reason : "");
	printf("picture     %s %s\n",
	    json_string_value(json_object_get(res, "resolution")),
	    json_string_value(json_object_get(res, "format")));
	printf("fps         %.0f set, %.1f captured, %.1f encoded\n",
	    num(res, "fps"), num(res, "captured_fps"), num(res, "encoded_fps"));
	printf("quality     %.0f, chroma %.0f\n", num(res, "quality"),
	    num(res, "subsampling"));
	printf("pattern     %s\n",
	    json_string_value(json_object_get(res, "pattern")));
	printf("encoder     %.0f workers, %.2f ms per frame\n",
	    num(enc, "workers"), num(enc, "avg_encode_ms"));
	printf("dropped     %.0f frames\n", num(res, "dropped_frames"));
	printf("clients     %zu\n", json_array_size(clients));
	json_array_foreach(clients, i, cl) printf("  %-8s %5.1f fps%s\n",
	    json_string_value(json_object_get(cl, "id")), num(cl, "fps"),
	    num(cl, "fps_cap") > 0 ? " (capped)" : "");
}

/* capctl snapshot FILE: one JPEG into FILE, or stdout for "-". */
static int
run_snapshot(struct tool_call *c)
{
	const char *file = c->text[0];
	uint64_t n = 0;
	char *target = tool_target(c, NULL);
	int r;

	r = tool_download(c, target, file, &n);
	if (r == TOOL_EXIT_OK && !c->json && strcmp(file, "-") != 0)
		printf("%s: %llu bytes\n", file, (unsigned long long)n);
	free(target);
	return r;
}

static const char *const snapshot_args[] = {"FILE", NULL};
static const char *const set_edid_args[] = {"preset", NULL};

/* GET /edid (and POST /edid's answer) as text. */
static void
print_edid(const struct tool_call *c, json_t *res)
{
	json_t *modes = json_object_get(res, "modes"), *m;
	size_t i;

	printf("blocks      %.0f\n", num(res, "blocks"));
	if (!json_is_true(json_object_get(res, "valid"))) {
		printf("problem     %s\n",
		    json_string_value(json_object_get(res, "problem")));
		return;
	}
	printf("monitor     %s %s (%s, serial %.0f %s)\n",
	    json_string_value(json_object_get(res, "vendor")),
	    json_string_value(json_object_get(res, "name")),
	    json_string_value(json_object_get(res, "version")),
	    num(res, "serial"),
	    json_string_value(json_object_get(res, "serial_text")));
	json_array_foreach(modes, i, m) printf("mode        %.0fx%.0f@%.0f%s\n",
	    num(m, "width"), num(m, "height"), num(m, "hz"),
	    json_is_true(json_object_get(m, "interlaced")) ? "i" : "");
}

/* ocrd's POST /read: the text as it came, ending in a line feed. */
static void
print_ocr(const struct tool_call *c, json_t *res)
{
	const char *text = json_string_value(json_object_get(res, "text"));
	size_t n = text != NULL ? strlen(text) : 0;

	while (n > 0 && strchr(" \t\n\f", text[n - 1]) != NULL)
		n--;
	if (n == 0) {
		tool_warn(c, "no text found in the region");
		return;
	}
	printf("%.*s\n", (int)n, text);
}

/*
 * capctl ocr X Y W H: ocrd's deadline (GET /state's timeout_ms) first, so
 * that its 504 "select a smaller region" comes before --timeout gives up;
 * then POST /read.
 */
static int
run_ocr(struct tool_call *c)
{
	struct client_reply rep = {0};
	json_t *res;
	long long deadline;
	int r;

	r = client_call(c->socket, "GET", ocrd_api_routes[OCRD_API_STATE].path,
	    NULL, c->timeout_ms, &rep);
	res = json_object_get(rep.json, "result");
	if (r < 0 || rep.status != 200) {
		r = tool_reply(c, r, &rep, NULL); /* its error */
		client_reply_free(&rep);
		return r;
	}
	if (!json_is_object(res)) {
		client_reply_free(&rep);
		return tool_fail(c, "ocrd's GET /state has no result");
	}
	deadline = json_integer_value(json_object_get(res, "timeout_ms"));
	if (deadline > 0 && deadline + OCR_MARGIN_MS > c->timeout_ms)
		c->timeout_ms = (int)(deadline + OCR_MARGIN_MS);
	client_reply_free(&rep);
	return tool_request(c, c->args);
}

static const char *const ocr_args[] = {"x", "y", "w", "h", NULL};

static const struct tool_peer ocrd = {
    &ocrd_api, "--ocrd-socket", "/run/kaputtkvm/ocrd.sock"};
static const struct tool_peer *const peers[] = {&ocrd, NULL};

static const struct tool_cmd capctl_cmds[] = {
    {"state", &capd_api_routes[CAPD_API_STATE], .print = print_state},
    {"snapshot", &capd_api_routes[CAPD_API_SNAPSHOT], snapshot_args, 1,
	.run = run_snapshot, .help = "FILE '-' writes it to stdout."},
    {"params", &capd_api_routes[CAPD_API_PARAMS], .print = print_state,
	.help = "For example: capctl params --quality 80 fps=15"},
    {"edid", &capd_api_routes[CAPD_API_EDID], .print = print_edid},
    {"set-edid", &capd_api_routes[CAPD_API_SET_EDID], set_edid_args, 0,
	.print = print_edid,
	.help = "For example: capctl set-edid 1280x720, or hex=00ffffff..."},
    {"ocr", &ocrd_api_routes[OCRD_API_READ], ocr_args, 4, .print = print_ocr,
	.run = run_ocr, .peer = &ocrd,
	.summary = "The text in a region of the newest frame, in frame "
		   "pixels (ocrd's socket).",
	.help = "For example: capctl ocr 0 0 640 100 --lang deu. It waits "
		"for ocrd's own deadline (10 s unless ocrd was started "
		"otherwise) and 5 s more, or --timeout when that is longer."},
    {NULL, NULL},
};

static const struct tool capctl = {
    "capctl", &capd_api, "/run/kaputtkvm/capd.sock", 10, capctl_cmds, peers};

int
main(int argc, char **argv)
{
	return tool_main(&capctl, argc, argv);
}
