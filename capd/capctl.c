/*
 * capctl.c -- capd from a shell: state, snapshot, params.
 *
 * The commands over capd's API description (spec.c); common/tool.c does
 * the options, arguments, --help, the call, --json and the exit status
 * (docs/tools.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "spec.h"
#include "tool.h"

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
    {NULL, NULL},
};

static const struct tool capctl = {
    "capctl", &capd_api, "/run/kaputtkvm/capd.sock", 10, capctl_cmds};

int
main(int argc, char **argv)
{
	return tool_main(&capctl, argc, argv);
}
