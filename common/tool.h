/*
 * tool.h -- the command-line tools (capctl, hidctl, mediactl, gpioctl).
 *
 * A tool is a table of commands over its daemon's API description
 * (apispec.h): each command names the route it calls, the positional
 * arguments it takes (field names, or in capitals a text the command uses
 * itself: "FILE"), and how its result reads for a person.  tool_main()
 * does the rest the same way for all four:
 *
 *   - the common options: --socket PATH, --json, --timeout SEC, -h/--help,
 *     --version, before or after the command;
 *   - arguments: the positional forms, "name=value" or "--name value" for
 *     any field of the route ("--name" alone for a boolean), and the
 *     command's own words ("up", "--flash"); each value is typed and
 *     range-checked by the description (apispec_value(), apispec_check())
 *     before anything is sent;
 *   - usage text and --help (tool --help, tool CMD --help) generated from
 *     the table and the description;
 *   - one call path, common/client.c;
 *   - one output: the command's printer, or with --json the daemon's
 *     "result" object as it came (the error envelope for an error), as
 *     JSON indented by two spaces, keys in the daemon's order, one line
 *     feed at the end;
 *   - one exit status (TOOL_EXIT_*).
 */
#ifndef KVM_TOOL_H
#define KVM_TOOL_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "apispec.h"
#include "client.h"

#define TOOL_EXIT_OK	      0	 /* done */
#define TOOL_EXIT_ERROR	      1	 /* the daemon answered with an error */
#define TOOL_EXIT_UNREACHABLE 2	 /* no daemon on the socket, or no answer */
#define TOOL_EXIT_USAGE	      64 /* a bad command line (EX_USAGE) */

#define TOOL_MAX_ARGS  4 /* positional arguments of one command */
#define TOOL_MAX_PEERS 2 /* other daemons whose commands a tool carries */

/*
 * Another daemon whose commands a tool carries, over its own socket:
 * mediactl's "fetch" is fetchd's.  Its option ("--fetchd-socket PATH") is
 * a common option of the tool; the commands that name it use that socket.
 */
struct tool_peer {
	const struct apispec *api; /* its daemon's description */
	const char *option;	   /* "--fetchd-socket" */
	const char *socket;	   /* the default */
};

struct tool;
struct tool_cmd;

/* One command being run. */
struct tool_call {
	const struct tool *tool;
	const struct tool_cmd *cmd;
	const char *socket; /* the command's daemon's */
	/* the peers' sockets as given, in the order of tool->peers */
	const char *peer_socket[TOOL_MAX_PEERS];
	int json;	/* --json */
	int timeout_ms; /* --timeout */
	json_t *args;	/* the route's fields given, checked */
	/* the positional arguments in capitals ("FILE"), in the order of
	 * cmd->args; NULL when not given */
	const char *text[TOOL_MAX_ARGS];
};

/* Prints a successful result for a person (not called with --json). */
typedef void tool_print_fn(const struct tool_call *, json_t *result);
/* Runs a command that is more than one request; returns the exit status. */
typedef int tool_run_fn(struct tool_call *);

/* A word of the command line that stands for a field's value. */
struct tool_word {
	const char *word;  /* "up", "--flash" */
	const char *field; /* "down"; NULL: the word changes nothing */
	const char *value; /* "false" */
};

#define TOOL_PRESS 0x1 /* without "down": down, then up (two requests) */

struct tool_cmd {
	const char *name;		   /* "move" */
	const struct apispec_route *route; /* the route it calls */
	/* positional arguments: a field's name, or a capitalised text for
	 * run(); the first min_args are needed; NULL-terminated */
	const char *const *args;
	int min_args;
	const struct tool_word *words; /* NULL-terminated by word; or NULL */
	const struct tool_word *dflt;  /* field values when not given */
	unsigned int flags;	       /* TOOL_PRESS */
	tool_print_fn *print;	       /* NULL: print nothing */
	tool_run_fn *run;	       /* NULL: one request to route */
	const char *help;	       /* more for "CMD --help"; or NULL */
	const char *summary; /* for the command list; NULL: the route's */
	const struct tool_peer *peer; /* its daemon; NULL: the tool's own */
};

struct tool {
	const char *name; /* "hidctl" */
	const struct apispec *api;
	const char *socket;	     /* the default socket */
	int timeout_s;		     /* the default --timeout */
	const struct tool_cmd *cmds; /* ends with name NULL */
	/* the other daemons its commands call, NULL-terminated; or NULL */
	const struct tool_peer *const *peers;
};

/* Parses argv, runs the command, prints; returns the exit status. */
int tool_main(const struct tool *, int argc, char **argv);

/* The --help texts (toolhelp.c): the tool's, and one command's. */
void tool_help(const struct tool *, FILE *);
void tool_help_cmd(const struct tool *, const struct tool_cmd *, FILE *);

/* For run functions. */

/* "/images/NAME?overwrite=true": the route's path, name (percent-encoded)
 * when the path is a prefix, the fields as a query for an APISPEC_QUERY
 * route.  Free it. */
char *tool_target(const struct tool_call *, const char *name);
/* One request of the command's route with body (or NULL); the reply is
 * printed by tool_reply().  Returns the exit status. */
int tool_request(struct tool_call *, json_t *body);
/*
 * The one place a reply becomes output: r < 0 (the client's error) is
 * TOOL_EXIT_UNREACHABLE with the message; an error reply is
 * TOOL_EXIT_ERROR with its message on stderr (and its envelope with
 * --json); success prints the result (--json) or calls the printer, and is
 * TOOL_EXIT_OK.  *ret_result, when not NULL, borrows the result from rep.
 */
int tool_reply(const struct tool_call *, int r, struct client_reply *,
    json_t **ret_result);
/* The daemon the command calls ("fetchd"). */
const char *tool_daemon(const struct tool_call *);
/* "capctl: ..." on stderr. */
void tool_warn(const struct tool_call *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A local failure (a file): the message, TOOL_EXIT_ERROR. */
int tool_fail(const struct tool_call *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* GET target into file ("-": stdout) through file.part, so that a broken
 * download leaves no file.  *ret_bytes gets the size.  Exit status. */
int tool_download(struct tool_call *, const char *target, const char *file,
    uint64_t *ret_bytes);
/* A byte count for people: "3.0 MiB". */
const char *tool_size(uint64_t, char *buf, size_t len);
/* A JSON value as --json prints it. */
void tool_print_json(json_t *);
/* A result's top-level members as "name value" lines. */
tool_print_fn tool_print_members;

#endif
