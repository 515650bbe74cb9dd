/*
 * gpioctl.c -- gpiod-ctl from a shell: state, pulse, atx.
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
    "usage: gpioctl [--socket PATH] [--json] [--timeout SEC] COMMAND\n"
    "  state                        every line, and the ATX state\n"
    "  pulse LINE [MS] [--no-wait]  one pulse on an output line\n"
    "  atx on|off|off-hard|reset [--no-wait]\n"
    "                               press power or reset, if the power\n"
    "                               LED allows it\n"
    "Default socket: /run/kaputtkvm/gpiod-ctl.sock.  A press is waited\n"
    "for unless --no-wait.\n";

/* Prints a value of a line object as text. */
static void
print_lines(json_t *lines)
{
	const char *name;
	json_t *l, *v;
	char where[96];

	printf("%-16s %-14s %-7s %-22s %s\n", "LINE", "ROLE", "DIR",
	    "CHIP:OFFSET", "VALUE");
	json_object_foreach(lines, name, l)
	{
		snprintf(where, sizeof(where), "%s:%lld%s",
		    json_string_value(json_object_get(l, "chip")),
		    (long long)json_integer_value(json_object_get(l, "offset")),
		    json_is_true(json_object_get(l, "active_low")) ? " (al)"
								   : "");
		v = json_object_get(l, "value");
		printf("%-16s %-14s %-7s %-22s %s%s\n", name,
		    json_string_value(json_object_get(l, "role")),
		    json_string_value(json_object_get(l, "direction")), where,
		    json_is_integer(v) ? (json_integer_value(v) ? "1" : "0")
				       : "?",
		    json_is_true(json_object_get(l, "busy")) ? " busy" : "");
	}
}

/* Prints /state as text. */
static void
print_state(json_t *res)
{
	json_t *atx = json_object_get(res, "atx"), *last;

	printf(
	    "backend %s\n", json_string_value(json_object_get(res, "backend")));
	printf("power %s%s\n", json_string_value(json_object_get(atx, "power")),
	    json_is_true(json_object_get(atx, "busy")) ? ", busy" : "");
	last = json_object_get(atx, "last_action");
	if (json_is_object(last))
		printf("last action %s: %s at %s\n",
		    json_string_value(json_object_get(last, "action")),
		    json_string_value(json_object_get(last, "result")),
		    json_string_value(json_object_get(last, "time")));
	print_lines(json_object_get(res, "lines"));
}

/* Prints the result of a press. */
static void
print_press(json_t *res)
{
	json_t *held = json_object_get(res, "held_ms");

	if (json_is_string(json_object_get(res, "action")))
		printf("atx %s: ",
		    json_string_value(json_object_get(res, "action")));
	if (json_is_number(held))
		printf("%s pressed for %.0f ms\n",
		    json_string_value(json_object_get(res, "line")),
		    json_number_value(held));
	else
		printf("%s: %lld ms press started\n",
		    json_string_value(json_object_get(res, "line")),
		    (long long)json_integer_value(json_object_get(res, "ms")));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'},
	    {"no-wait", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock = "/run/kaputtkvm/gpiod-ctl.sock";
	const char *method = "GET", *target = NULL, *cmd;
	struct client_reply reply = {0};
	json_t *body = NULL, *err;
	char *end;
	long ms;
	int ch, as_json = 0, nowait = 0, timeout = 60;
	int r, rc = 1;

	while (
	    (ch = getopt_long(argc, argv, "s:jt:nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		case 't':
			timeout = atoi(optarg);
			if (timeout <= 0 || timeout > 3600) {
				fprintf(stderr,
				    "gpioctl: --timeout takes "
				    "seconds, 1-3600\n");
				return 1;
			}
			break;
		case 'n':
			nowait = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return 1;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "state") == 0 && optind == argc) {
		target = "/state";
	} else if (strcmp(cmd, "pulse") == 0 && optind < argc &&
	    argc - optind <= 2) {
		method = "POST";
		target = "/pulse";
		body = json_pack("{s:s}", "line", argv[optind]);
		if (optind + 1 < argc) {
			errno = 0;
			ms = strtol(argv[optind + 1], &end, 10);
			if (errno || *end != '\0' || ms <= 0) {
				fprintf(stderr,
				    "gpioctl: pulse: '%s' is not a "
				    "length in ms\n",
				    argv[optind + 1]);
				goto out;
			}
			json_object_set_new(body, "ms", json_integer(ms));
		}
	} else if (strcmp(cmd, "atx") == 0 && argc - optind == 1) {
		method = "POST";
		target = "/atx";
		body = json_pack("{s:s}", "action", argv[optind]);
	} else {
		fputs(usage_text, stderr);
		goto out;
	}
	if (body != NULL && nowait)
		json_object_set_new(body, "wait", json_false());
	r = client_call(sock, method, target, body, timeout * 1000, &reply);
	if (r < 0) {
		fprintf(stderr, "gpioctl: cannot reach gpiod-ctl: %s\n",
		    error_get() ? error_get() : strerror(-r));
		rc = 2;
		goto out;
	}
	if (reply.json == NULL) {
		fprintf(stderr, "gpioctl: HTTP %d without a JSON reply\n",
		    reply.status);
		goto out;
	}
	if (as_json) {
		json_dumpf(reply.json, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	}
	if (!json_is_true(json_object_get(reply.json, "ok"))) {
		err = json_object_get(reply.json, "error");
		if (!as_json)
			fprintf(stderr, "gpioctl: %s\n",
			    json_string_value(json_object_get(err, "message"))
				?: "error without a message");
		goto out;
	}
	if (!as_json) {
		if (strcmp(cmd, "state") == 0)
			print_state(json_object_get(reply.json, "result"));
		else
			print_press(json_object_get(reply.json, "result"));
	}
	rc = 0;
out:
	json_decref(body);
	client_reply_free(&reply);
	return rc;
}
