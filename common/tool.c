/*
 * tool.c -- the command-line tools' one framework (tool.h).
 *
 * The command line is read in one pass: common options anywhere, the first
 * other word is the command, then each word is a common option, one of the
 * command's words, a field ("name=value", "--name value", "--name"), or the
 * next positional argument; "--" ends the options ("-5" is a number, not an
 * option).  Every value goes through the route's description, so a bad one
 * is a usage error before the daemon is asked.  Output and exit status come
 * from tool_reply() alone.  The --help texts are toolhelp.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm-config.h"
#include "error.h"
#include "tool.h"
#include "xmalloc.h"

/* The one printer of messages: "capctl: ..." on stderr. */
static void
tool_vwarn(const struct tool_call *c, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", c->tool->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
tool_warn(const struct tool_call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tool_vwarn(c, fmt, ap);
	va_end(ap);
}

int
tool_fail(const struct tool_call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tool_vwarn(c, fmt, ap);
	va_end(ap);
	return TOOL_EXIT_ERROR;
}

static int tool_usage_error(const struct tool_call *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* A usage error: the message, a pointer to --help, TOOL_EXIT_USAGE. */
static int
tool_usage_error(const struct tool_call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tool_vwarn(c, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s %s%s--help'.\n", c->tool->name,
	    c->cmd ? c->cmd->name : "", c->cmd ? " " : "");
	return TOOL_EXIT_USAGE;
}

/* Sets field name to the text value, checked by the description. */
static int
tool_set_field(struct tool_call *c, const char *name, const char *text)
{
	const struct apispec_field *f;
	json_t *v;

	f = apispec_field(c->cmd->route->fields, name);
	if (f == NULL)
		return tool_usage_error(
		    c, "%s has no field \"%s\"", c->cmd->name, name);
	if (json_object_get(c->args, name) != NULL)
		return tool_usage_error(c, "\"%s\" is given twice", name);
	if (apispec_value(f, text, &v) < 0)
		return tool_usage_error(c, "%s", error_get());
	json_object_set_new(c->args, name, v);
	return 0;
}

/* The next positional argument. */
static int
tool_positional(struct tool_call *c, int *npos, const char *arg)
{
	const char *const *args = c->cmd->args;
	const char *name;

	if (args == NULL || *npos >= TOOL_MAX_ARGS || args[*npos] == NULL)
		return tool_usage_error(
		    c, "%s: one argument too many: \"%s\"", c->cmd->name, arg);
	name = args[(*npos)++];
	if (isupper((unsigned char)name[0])) {
		c->text[*npos - 1] = arg;
		return 0;
	}
	return tool_set_field(c, name, arg);
}

/* A word of the command's table: 1 taken, 0 not one, or an exit status. */
static int
tool_word(struct tool_call *c, const char *arg)
{
	const struct tool_word *w;
	int r;

	for (w = c->cmd->words; w != NULL && w->word != NULL; w++)
		if (strcmp(arg, w->word) == 0) {
			if (w->field == NULL)
				return 1;
			if ((r = tool_set_field(c, w->field, w->value)) != 0)
				return r;
			return 1;
		}
	return 0;
}

/* "--name value", "--name=value" or "--name" (a boolean) of a field. */
static int
tool_option_field(struct tool_call *c, char **argv, int *i)
{
	const struct apispec_field *f;
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	char name[64];

	snprintf(name, sizeof(name), "%.*s",
	    eq ? (int)(eq - arg) : (int)strlen(arg), arg);
	if ((f = apispec_field(c->cmd->route->fields, name)) == NULL)
		return tool_usage_error(c, "unknown option \"%s\"", argv[*i]);
	if (eq != NULL)
		return tool_set_field(c, name, eq + 1);
	if (f->type == APISPEC_BOOL)
		return tool_set_field(c, name, "true");
	if (argv[*i + 1] == NULL)
		return tool_usage_error(c, "%s needs a value", argv[*i]);
	return tool_set_field(c, name, argv[++*i]);
}

/* --timeout, described like a field so it is read like one. */
static const struct apispec_field tool_timeout = {
    "timeout", APISPEC_INT, 0, 1, 3600, "seconds to wait for progress"};

/* Is a the option name ("--socket", "--socket=PATH"), or short? */
static int
tool_is_option(const char *a, const char *name, const char *short_name)
{
	size_t n = strlen(name);

	return (short_name != NULL && strcmp(a, short_name) == 0) ||
	    (strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '='));
}

/* The index in t->peers of the peer whose socket option a is, or -1. */
static int
tool_peer_option(const struct tool *t, const char *a)
{
	int i;

	for (i = 0; t->peers != NULL && t->peers[i] != NULL; i++)
		if (tool_is_option(a, t->peers[i]->option, NULL))
			return i;
	return -1;
}

/* A command of a peer's runs on the peer's socket. */
static void
tool_peer_socket(struct tool_call *c)
{
	int i;

	for (i = 0; c->tool->peers != NULL && c->tool->peers[i] != NULL; i++)
		if (c->tool->peers[i] == c->cmd->peer)
			c->socket = c->peer_socket[i] != NULL
			    ? c->peer_socket[i]
			    : c->cmd->peer->socket;
}

const char *
tool_daemon(const struct tool_call *c)
{
	return c->cmd != NULL && c->cmd->peer != NULL
	    ? c->cmd->peer->api->daemon
	    : c->tool->api->daemon;
}

/* A common option at argv[*i]: 1 taken, 0 not one, or an exit status. */
static int
tool_common_option(struct tool_call *c, char **argv, int *i)
{
	const char *a = argv[*i], *v;
	int is_socket, peer;
	json_t *n;

	if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0)
		return c->json = 1;
	is_socket = tool_is_option(a, "--socket", "-s");
	peer = tool_peer_option(c->tool, a);
	if (!is_socket && peer < 0 && !tool_is_option(a, "--timeout", NULL))
		return 0;
	if ((v = strchr(a, '=')) != NULL)
		v++;
	else if ((v = argv[++*i]) == NULL)
		return tool_usage_error(c, "%s needs a value", a);
	if (is_socket || peer >= 0) {
		if (is_socket)
			c->socket = v;
		else
			c->peer_socket[peer] = v;
		return 1;
	}
	if (apispec_value(&tool_timeout, v, &n) < 0)
		return tool_usage_error(c, "%s", error_get());
	c->timeout_ms = (int)json_integer_value(n) * 1000;
	json_decref(n);
	return 1;
}

/* The command named by arg. */
static int
tool_find_cmd(struct tool_call *c, const char *arg)
{
	const struct tool_cmd *cmd;

	for (cmd = c->tool->cmds; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, arg) == 0) {
			c->cmd = cmd;
			return 0;
		}
	return tool_usage_error(c, "unknown command \"%s\"", arg);
}

/* One word after the command: a field, a word, or positional. */
static int
tool_cmd_arg(struct tool_call *c, char **argv, int *i, int *npos)
{
	const char *a = argv[*i], *eq = strchr(a, '=');
	char name[64];
	int r;

	if ((r = tool_word(c, a)) != 0)
		return r == 1 ? 0 : r;
	if (a[0] == '-' && a[1] == '-')
		return tool_option_field(c, argv, i);
	if (a[0] == '-' && a[1] != '\0' && !isdigit((unsigned char)a[1]))
		return tool_usage_error(c, "unknown option \"%s\"", a);
	if (eq != NULL && eq - a < (long)sizeof(name)) {
		snprintf(name, sizeof(name), "%.*s", (int)(eq - a), a);
		if (apispec_field(c->cmd->route->fields, name) != NULL)
			return tool_set_field(c, name, eq + 1);
	}
	return tool_positional(c, npos, a);
}

/* Fills c from argv.  0, an exit status, or -1 when --help was printed. */
static int
tool_parse(struct tool_call *c, char **argv)
{
	int i, r, npos = 0, dashdash = 0, help = 0;

	for (i = 1; argv[i] != NULL; i++) {
		if (dashdash) {
			if ((r = tool_positional(c, &npos, argv[i])) != 0)
				return r;
			continue;
		}
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			help = 1;
			continue;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf(
			    "%s (KaputtKVM) %s\n", c->tool->name, KVM_VERSION);
			return -1;
		}
		if ((r = tool_common_option(c, argv, &i)) != 0) {
			if (r != 1)
				return r;
		} else if (strcmp(argv[i], "--") == 0 && c->cmd != NULL)
			dashdash = 1;
		else if (c->cmd == NULL) {
			if (argv[i][0] == '-')
				return tool_usage_error(
				    c, "unknown option \"%s\"", argv[i]);
			if ((r = tool_find_cmd(c, argv[i])) != 0)
				return r;
		} else if ((r = tool_cmd_arg(c, argv, &i, &npos)) != 0)
			return r;
	}
	if (help) {
		if (c->cmd != NULL)
			tool_help_cmd(c->tool, c->cmd, stdout);
		else
			tool_help(c->tool, stdout);
		return -1;
	}
	if (c->cmd == NULL)
		return tool_usage_error(c, "which command?");
	return 0;
}

/* The defaults, then the checks a whole command line needs. */
static int
tool_complete(struct tool_call *c)
{
	const struct tool_cmd *cmd = c->cmd;
	const struct tool_word *w;
	const char *name;
	int i, r;

	for (w = cmd->dflt; w != NULL && w->word != NULL; w++)
		if (json_object_get(c->args, w->field) == NULL &&
		    (r = tool_set_field(c, w->field, w->value)) != 0)
			return r;
	for (i = 0; i < cmd->min_args; i++) {
		name = cmd->args[i];
		if (isupper((unsigned char)name[0])
			? c->text[i] == NULL
			: json_object_get(c->args, name) == NULL)
			return tool_usage_error(
			    c, "%s needs %s", cmd->name, name);
	}
	if (apispec_check(cmd->route->fields, c->args) < 0)
		return tool_usage_error(c, "%s", error_get());
	return 0;
}

/* Percent-encodes s onto *o. */
static void
tool_encode(char **o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || strchr("-._~", ch) != NULL)
			*(*o)++ = (char)ch;
		else {
			*(*o)++ = '%';
			*(*o)++ = hex[ch >> 4];
			*(*o)++ = hex[ch & 15];
		}
	}
	**o = '\0';
}

char *
tool_target(const struct tool_call *c, const char *name)
{
	const struct apispec_route *r = c->cmd->route;
	const char *key;
	json_t *v;
	size_t len = strlen(r->path) + 3 * (name ? strlen(name) : 0) + 1;
	char *t, *o, num[32];
	int first = 1;

	json_object_foreach(c->args, key, v) len +=
	    3 * (strlen(key) + 32 + json_string_length(v)) + 2;
	t = o = xmalloc(len);
	o += sprintf(o, "%s", r->path);
	if (name != NULL && r->path[strlen(r->path) - 1] == '/')
		tool_encode(&o, name);
	if (!(r->flags & APISPEC_QUERY))
		return t;
	json_object_foreach(c->args, key, v)
	{
		*o++ = first ? '?' : '&';
		first = 0;
		tool_encode(&o, key);
		*o++ = '=';
		if (json_is_string(v))
			tool_encode(&o, json_string_value(v));
		else {
			if (json_is_integer(v))
				snprintf(num, sizeof(num),
				    "%" JSON_INTEGER_FORMAT,
				    json_integer_value(v));
			else
				snprintf(num, sizeof(num), "%s",
				    json_is_true(v) ? "true" : "false");
			tool_encode(&o, num);
		}
	}
	return t;
}

void
tool_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
}

void
tool_print_members(const struct tool_call *c, json_t *result)
{
	const char *key;
	json_t *v, *e;
	size_t i;
	char *s;

	json_object_foreach(result, key, v)
	{
		printf("%-14s", key);
		if (json_is_array(v)) {
			json_array_foreach(v, i, e)
			{
				s = json_dumps(
				    e, JSON_ENCODE_ANY | JSON_COMPACT);
				printf(" %s",
				    json_is_string(e) ? json_string_value(e)
					: s	      ? s
						      : "?");
				free(s);
			}
			putchar('\n');
			continue;
		}
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		printf(" %s\n",
		    json_is_string(v) ? json_string_value(v)
			: s	      ? s
				      : "?");
		free(s);
	}
}

int
tool_reply(const struct tool_call *c, int r, struct client_reply *rep,
    json_t **ret_result)
{
	json_t *msg, *result;

	if (r == -ETIMEDOUT || r == -EPROTO) {
		tool_warn(c, "no whole answer from %s: %s", tool_daemon(c),
		    error_get() ? error_get() : strerror(-r));
		return TOOL_EXIT_UNREACHABLE;
	}
	if (r < 0) {
		tool_warn(c, "cannot reach %s at %s: %s", tool_daemon(c),
		    c->socket, error_get() ? error_get() : strerror(-r));
		return TOOL_EXIT_UNREACHABLE;
	}
	result = json_object_get(rep->json, "result");
	if (rep->status != 200 ||
	    !json_is_true(json_object_get(rep->json, "ok"))) {
		msg = json_object_get(
		    json_object_get(rep->json, "error"), "message");
		if (c->json && rep->json != NULL)
			tool_print_json(rep->json);
		if (json_is_string(msg))
			tool_warn(c, "%s", json_string_value(msg));
		else
			tool_warn(c, "HTTP %d: %.200s", rep->status,
			    rep->body ? rep->body : "");
		return TOOL_EXIT_ERROR;
	}
	if (c->json)
		tool_print_json(result);
	else if (c->cmd->print != NULL)
		c->cmd->print(c, result);
	if (ret_result != NULL)
		*ret_result = result;
	return TOOL_EXIT_OK;
}

int
tool_request(struct tool_call *c, json_t *body)
{
	struct client_reply rep = {0};
	const char *name = c->text[0];
	char *target = tool_target(c, name);
	int r;

	r = client_call(c->socket, apispec_method_name(c->cmd->route), target,
	    body, c->timeout_ms, &rep);
	r = tool_reply(c, r, &rep, NULL);
	client_reply_free(&rep);
	free(target);
	return r;
}

/* The command's request(s), from c->args. */
static int
tool_run(struct tool_call *c)
{
	const struct apispec_route *route = c->cmd->route;
	json_t *body = NULL;
	int r, json = c->json;

	if (c->cmd->run != NULL)
		return c->cmd->run(c);
	if (!(route->flags & APISPEC_QUERY) && json_object_size(c->args) > 0)
		body = c->args;
	if (!(c->cmd->flags & TOOL_PRESS) ||
	    json_object_get(c->args, "down") != NULL)
		return tool_request(c, body);
	/* a press: down, then up; --json prints the last result */
	json_object_set_new(c->args, "down", json_true());
	c->json = 0;
	r = tool_request(c, body);
	c->json = json;
	if (r != TOOL_EXIT_OK)
		return r;
	json_object_set_new(c->args, "down", json_false());
	return tool_request(c, body);
}

int
tool_download(struct tool_call *c, const char *target, const char *file,
    uint64_t *ret_bytes)
{
	struct client_stream st = {.body_fd = -1, .reply_fd = 1};
	struct client_reply rep = {0};
	int tostdout = strcmp(file, "-") == 0, r;
	char *part = NULL;

	if (!tostdout) {
		xasprintf(&part, "%s.part", file);
		st.reply_fd =
		    open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (st.reply_fd == -1) {
			r = tool_fail(c, "%s: %s", part, strerror(errno));
			free(part);
			return r;
		}
	}
	r = client_call_stream(
	    c->socket, "GET", target, &st, c->timeout_ms, &rep);
	if (r < 0 && st.local_error)
		r = tool_fail(
		    c, "%s: %s", tostdout ? "stdout" : part, error_get());
	else if (r == 0 && rep.status / 100 == 2)
		r = TOOL_EXIT_OK; /* the body went to the file */
	else
		r = tool_reply(c, r, &rep, NULL);
	if (!tostdout) {
		if (r == TOOL_EXIT_OK &&
		    (fsync(st.reply_fd) == -1 || rename(part, file) == -1))
			r = tool_fail(c, "%s: %s", file, strerror(errno));
		close(st.reply_fd);
		if (r != TOOL_EXIT_OK)
			unlink(part);
	}
	*ret_bytes = rep.body_len;
	client_reply_free(&rep);
	free(part);
	return r;
}

const char *
tool_size(uint64_t n, char *buf, size_t len)
{
	if (n >= (1ULL << 30))
		snprintf(buf, len, "%.2f GiB", n / 1073741824.0);
	else if (n >= (1ULL << 20))
		snprintf(buf, len, "%.1f MiB", n / 1048576.0);
	else
		snprintf(buf, len, "%" PRIu64 " B", n);
	return buf;
}

int
tool_main(const struct tool *t, int argc, char **argv)
{
	struct tool_call c = {.tool = t, .socket = t->socket};
	int r;

	(void)argc;
	c.timeout_ms = t->timeout_s * 1000;
	c.args = json_object();
	if ((r = tool_parse(&c, argv)) == 0 && (r = tool_complete(&c)) == 0) {
		tool_peer_socket(&c);
		r = tool_run(&c);
	}
	json_decref(c.args);
	return r == -1 ? TOOL_EXIT_OK : r;
}
