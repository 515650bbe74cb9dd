/*
 * capctl.c -- capd from a shell: state, snapshot, params.
 *
 * Speaks to the daemon's socket with client_call().  Human-readable output
 * by default, --json for the raw reply.  Exit 0 on success, 1 on an error
 * reply (its message printed), 2 when the daemon cannot be reached.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client.h"
#include "error.h"

static const char *usage_text =
    "usage: capctl [--socket PATH] [--json] COMMAND\n"
    "  state                          source, signal, fps, clients\n"
    "  snapshot FILE                  save one JPEG ('-': stdout)\n"
    "  params [--quality N] [--fps N] [--resolution WxH]\n"
    "                                 change them at run time\n"
    "Default socket: /run/kaputtkvm/capd.sock.\n";

/* A number from a JSON object, or 0. */
static double
num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* /state as text. */
static void
print_state(json_t *res)
{
	json_t *clients = json_object_get(res, "clients"), *c, *enc;
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
	printf("quality     %.0f\n", num(res, "quality"));
	printf("encoder     %.0f workers, %.2f ms per frame\n",
	    num(enc, "workers"), num(enc, "avg_encode_ms"));
	printf("dropped     %.0f frames\n", num(res, "dropped_frames"));
	printf("clients     %zu\n", json_array_size(clients));
	json_array_foreach(clients, i, c) printf("  %-8s %5.1f fps%s\n",
	    json_string_value(json_object_get(c, "id")), num(c, "fps"),
	    num(c, "fps_cap") > 0 ? " (capped)" : "");
}

/* A whole number option. */
static int
int_arg(const char *name, const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr, "capctl: --%s takes a number from %ld to %ld\n",
		    name, min, max);
		return -1;
	}
	*ret = v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"quality", required_argument, NULL, 'q'},
	    {"fps", required_argument, NULL, 'f'},
	    {"resolution", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock = "/run/kaputtkvm/capd.sock";
	const char *cmd, *file = NULL, *method = "GET", *target;
	struct client_reply reply;
	json_t *body = NULL, *err;
	FILE *out;
	long v;
	int ch, as_json = 0, r, rc = 1;

	memset(&reply, 0, sizeof(reply));
	body = json_object();
	while ((ch = getopt_long(argc, argv, "s:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'q':
			if (int_arg("quality", optarg, 1, 100, &v) < 0)
				goto out;
			json_object_set_new(body, "quality", json_integer(v));
			break;
		case 'f':
			if (int_arg("fps", optarg, 1, 120, &v) < 0)
				goto out;
			json_object_set_new(body, "fps", json_integer(v));
			break;
		case 'r':
			json_object_set_new(
			    body, "resolution", json_string(optarg));
			break;
		case 'h':
			fputs(usage_text, stdout);
			rc = 0;
			goto out;
		default:
			fputs(usage_text, stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		goto out;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "state") == 0 && optind == argc)
		target = "/state";
	else if (strcmp(cmd, "snapshot") == 0 && optind + 1 == argc) {
		target = "/snapshot";
		file = argv[optind];
	} else if (strcmp(cmd, "params") == 0 && optind == argc &&
	    json_object_size(body) > 0) {
		method = "POST";
		target = "/params";
	} else {
		fputs(usage_text, stderr);
		goto out;
	}
	if (json_object_size(body) > 0 && strcmp(cmd, "params") != 0) {
		fputs(usage_text, stderr);
		goto out;
	}
	r = client_call(sock, method, target,
	    strcmp(method, "POST") == 0 ? body : NULL, 10000, &reply);
	if (r < 0) {
		fprintf(stderr, "capctl: cannot reach capd at %s: %s\n", sock,
		    error_get() ? error_get() : strerror(-r));
		rc = 2;
		goto out;
	}
	if (reply.status != 200) {
		err = json_object_get(
		    json_object_get(reply.json, "error"), "message");
		fprintf(stderr, "capctl: %s\n",
		    json_is_string(err) ? json_string_value(err)
			: reply.body	? reply.body
					: "error");
		goto out;
	}
	if (file != NULL) {
		out = strcmp(file, "-") == 0 ? stdout : fopen(file, "wb");
		if (out == NULL ||
		    fwrite(reply.body, 1, reply.body_len, out) !=
			reply.body_len ||
		    (out != stdout && fclose(out) != 0)) {
			fprintf(stderr, "capctl: cannot write %s: %s\n", file,
			    strerror(errno));
			goto out;
		}
		if (out != stdout)
			printf("%s: %zu bytes\n", file, reply.body_len);
	} else if (as_json || reply.json == NULL)
		printf("%s\n", reply.body);
	else
		print_state(json_object_get(reply.json, "result"));
	rc = 0;
out:
	client_reply_free(&reply);
	json_decref(body);
	return rc;
}
