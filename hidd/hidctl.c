/*
 * hidctl.c -- hidd from a shell: state, keys, mouse, paste, release.
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

static const char *usage_text =
    "usage: hidctl [--socket PATH] [--json] COMMAND\n"
    "  state                         backend, online, LEDs, held keys\n"
    "  layouts                       XKB layouts paste accepts\n"
    "  key CODE [down|up|press]      a KeyboardEvent.code (default press)\n"
    "  type TEXT [LAYOUT [DELAY_MS]] type text as keystrokes (POST /paste)\n"
    "  cancel                        stop a paste\n"
    "  release                       every key and button up\n"
    "  move X Y                      absolute pointer, 0..32767\n"
    "  rel DX DY                     relative pointer\n"
    "  click [BUTTON]                press and release (default left)\n"
    "  button BUTTON down|up\n"
    "  wheel DY [DX]                 notches; DY > 0 scrolls down\n"
    "Default socket: /run/kaputtkvm/hidd.sock.\n";

/* Parses an integer argument or exits. */
static long long
num(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0') {
		fprintf(stderr, "hidctl: \"%s\" is not a number\n", s);
		exit(1);
	}
	return v;
}

/* One request; prints the reply.  Returns the exit status. */
static int
call(const char *sock, const char *method, const char *target, json_t *body,
    int json_out, int quiet)
{
	struct client_reply rep;
	json_t *err, *res;
	char *s;
	int r;

	memset(&rep, 0, sizeof(rep));
	r = client_call(sock, method, target, body, 10000, &rep);
	json_decref(body);
	if (r < 0) {
		fprintf(stderr, "hidctl: cannot reach hidd at %s: %s\n", sock,
		    strerror(-r));
		return 2;
	}
	if (json_out) {
		printf("%s\n", rep.body ? rep.body : "");
	} else if (rep.json == NULL) {
		fprintf(stderr, "hidctl: HTTP %d without JSON\n", rep.status);
	} else if (!json_is_true(json_object_get(rep.json, "ok"))) {
		err = json_object_get(rep.json, "error");
		fprintf(stderr, "hidctl: %s\n",
		    json_string_value(json_object_get(err, "message")));
	} else if (!quiet) {
		res = json_object_get(rep.json, "result");
		s = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (s != NULL && strcmp(s, "{}") != 0)
			printf("%s\n", s);
		free(s);
	}
	r = rep.status == 200 ? 0 : 1;
	client_reply_free(&rep);
	return r;
}

/* Prints /state briefly. */
static int
state(const char *sock)
{
	struct client_reply rep;
	json_t *res, *leds, *held, *v, *paste;
	size_t i;
	int r;

	memset(&rep, 0, sizeof(rep));
	if ((r = client_call(sock, "GET", "/state", NULL, 10000, &rep)) < 0) {
		fprintf(stderr, "hidctl: cannot reach hidd at %s: %s\n", sock,
		    strerror(-r));
		return 2;
	}
	res = rep.json ? json_object_get(rep.json, "result") : NULL;
	if (rep.status != 200 || res == NULL) {
		fprintf(stderr, "hidctl: HTTP %d\n", rep.status);
		client_reply_free(&rep);
		return 1;
	}
	leds = json_object_get(res, "leds");
	held = json_object_get(res, "held");
	printf("backend %s, %s%s%s\n",
	    json_string_value(json_object_get(res, "backend")),
	    json_is_true(json_object_get(res, "online")) ? "online" : "offline",
	    json_is_string(json_object_get(res, "reason")) ? ": " : "",
	    json_is_string(json_object_get(res, "reason"))
		? json_string_value(json_object_get(res, "reason"))
		: "");
	if (json_is_true(json_object_get(leds, "known")))
		printf("LEDs: num %s, caps %s, scroll %s\n",
		    json_is_true(json_object_get(leds, "num")) ? "on" : "off",
		    json_is_true(json_object_get(leds, "caps")) ? "on" : "off",
		    json_is_true(json_object_get(leds, "scroll")) ? "on"
								  : "off");
	else
		printf("LEDs: unknown\n");
	printf("held:");
	json_array_foreach(json_object_get(held, "modifiers"), i, v)
	    printf(" %s", json_string_value(v));
	json_array_foreach(json_object_get(held, "keys"), i, v)
	    printf(" %s", json_string_value(v));
	printf("\n");
	paste = json_object_get(res, "paste");
	if (json_is_true(json_object_get(paste, "active")))
		printf("paste: %lld of %lld keystrokes\n",
		    (long long)json_integer_value(
			json_object_get(paste, "done")),
		    (long long)json_integer_value(
			json_object_get(paste, "keystrokes")));
	printf("clients: %lld\n",
	    (long long)json_integer_value(json_object_get(res, "clients")));
	client_reply_free(&rep);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock = "/run/kaputtkvm/hidd.sock", *cmd;
	int json_out = 0, c, n, r;

	while ((c = getopt_long(argc, argv, "+s:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			json_out = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 1;
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 1) {
		fputs(usage_text, stderr);
		return 1;
	}
	cmd = argv[0];
	n = argc - 1;
	if (strcmp(cmd, "state") == 0 && n == 0)
		return json_out ? call(sock, "GET", "/state", NULL, 1, 0)
				: state(sock);
	if (strcmp(cmd, "layouts") == 0 && n == 0)
		return call(sock, "GET", "/layouts", NULL, json_out, 0);
	if (strcmp(cmd, "key") == 0 && (n == 1 || n == 2)) {
		const char *how = n == 2 ? argv[2] : "press";

		if (strcmp(how, "press") == 0) {
			r = call(sock, "POST", "/key",
			    json_pack("{s:s, s:b}", "code", argv[1], "down", 1),
			    json_out, 1);
			if (r != 0)
				return r;
			return call(sock, "POST", "/key",
			    json_pack("{s:s, s:b}", "code", argv[1], "down", 0),
			    json_out, 1);
		}
		if (strcmp(how, "down") == 0 || strcmp(how, "up") == 0)
			return call(sock, "POST", "/key",
			    json_pack("{s:s, s:b}", "code", argv[1], "down",
				how[0] == 'd'),
			    json_out, 1);
	}
	if (strcmp(cmd, "type") == 0 && n >= 1 && n <= 3) {
		json_t *b = json_pack("{s:s}", "text", argv[1]);

		if (n >= 2)
			json_object_set_new(b, "layout", json_string(argv[2]));
		if (n >= 3)
			json_object_set_new(
			    b, "delay_ms", json_integer(num(argv[3])));
		return call(sock, "POST", "/paste", b, json_out, 0);
	}
	if (strcmp(cmd, "cancel") == 0 && n == 0)
		return call(sock, "POST", "/paste/cancel", NULL, json_out, 0);
	if (strcmp(cmd, "release") == 0 && n == 0)
		return call(sock, "POST", "/release", NULL, json_out, 1);
	if (strcmp(cmd, "move") == 0 && n == 2)
		return call(sock, "POST", "/mouse",
		    json_pack("{s:I, s:I}", "x", (json_int_t)num(argv[1]), "y",
			(json_int_t)num(argv[2])),
		    json_out, 1);
	if (strcmp(cmd, "rel") == 0 && n == 2)
		return call(sock, "POST", "/mouse",
		    json_pack("{s:I, s:I}", "dx", (json_int_t)num(argv[1]),
			"dy", (json_int_t)num(argv[2])),
		    json_out, 1);
	if (strcmp(cmd, "click") == 0 && n <= 1) {
		const char *b = n == 1 ? argv[1] : "left";

		r = call(sock, "POST", "/mouse",
		    json_pack("{s:s, s:b}", "button", b, "down", 1), json_out,
		    1);
		if (r != 0)
			return r;
		return call(sock, "POST", "/mouse",
		    json_pack("{s:s, s:b}", "button", b, "down", 0), json_out,
		    1);
	}
	if (strcmp(cmd, "button") == 0 && n == 2 &&
	    (strcmp(argv[2], "down") == 0 || strcmp(argv[2], "up") == 0))
		return call(sock, "POST", "/mouse",
		    json_pack("{s:s, s:b}", "button", argv[1], "down",
			argv[2][0] == 'd'),
		    json_out, 1);
	if (strcmp(cmd, "wheel") == 0 && (n == 1 || n == 2))
		return call(sock, "POST", "/mouse",
		    json_pack("{s:I, s:I}", "wheel_dy",
			(json_int_t)num(argv[1]), "wheel_dx",
			(json_int_t)(n == 2 ? num(argv[2]) : 0)),
		    json_out, 1);
	fputs(usage_text, stderr);
	return 1;
}
