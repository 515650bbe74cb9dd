/*
 * toolhelp.c -- the tools' usage texts, generated (tool.h).
 *
 * "tool --help" lists the commands with their positional arguments and
 * words, and the common options; "tool CMD --help" lists the fields of the
 * command's route with their types, ranges and help lines, straight from
 * the daemon's API description, so the text cannot drift from what the
 * daemon accepts.  Both end with the exit status rule.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

#define TOOL_EXIT_TEXT                                                         \
	"Exit status: 0 done; 1 the daemon answered with an error (or a "      \
	"local file\nfailed); 2 the daemon cannot be reached or did not "      \
	"answer; 64 a usage error.\n"

/* "CODE [down|up|press]": a command's arguments for its usage line. */
static void
tool_synopsis(const struct tool_cmd *cmd, char *buf, size_t len)
{
	const struct tool_word *w;
	size_t o = 0;
	int i, plain = 0;

	buf[0] = '\0';
	for (i = 0; cmd->args != NULL && cmd->args[i] != NULL; i++) {
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "",
		    i >= cmd->min_args ? "[" : "");
		for (const char *p = cmd->args[i]; *p != '\0' && o + 2 < len;
		     p++)
			buf[o++] = (char)toupper((unsigned char)*p);
		if (i >= cmd->min_args)
			buf[o++] = ']';
		buf[o] = '\0';
	}
	for (w = cmd->words; w != NULL && w->word != NULL && o < len; w++)
		if (w->word[0] != '-')
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    plain++ ? "|" : (o ? " [" : "["), w->word);
	if (plain && o < len)
		o += (size_t)snprintf(buf + o, len - o, "]");
	for (w = cmd->words; w != NULL && w->word != NULL && o < len; w++)
		if (w->word[0] == '-')
			o += (size_t)snprintf(
			    buf + o, len - o, "%s[%s]", o ? " " : "", w->word);
}

/* text after a column of indent, its words wrapped before column 79. */
static void
tool_wrap(FILE *f, int col, int indent, const char *text)
{
	const char *w, *end;

	for (w = text; *w != '\0'; w = end) {
		while (*w == ' ')
			w++;
		if ((end = strchr(w, ' ')) == NULL)
			end = w + strlen(w);
		if (col > indent && col + 1 + (end - w) > 79) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		}
		col += fprintf(
		    f, "%s%.*s", col > indent ? " " : "", (int)(end - w), w);
	}
	fputc('\n', f);
}

/* The commands, one a line. */
static void
tool_usage_cmds(const struct tool *t, FILE *f)
{
	const struct tool_cmd *cmd;
	char syn[160], line[200];

	for (cmd = t->cmds; cmd->name != NULL; cmd++) {
		tool_synopsis(cmd, syn, sizeof(syn));
		snprintf(line, sizeof(line), "%s%s%s", cmd->name,
		    syn[0] ? " " : "", syn);
		if (strlen(line) >= 28)
			fprintf(f, "  %s\n%30s", line, "");
		else
			fprintf(f, "  %-28s", line);
		tool_wrap(f, 30, 30,
		    cmd->summary ? cmd->summary : cmd->route->summary);
	}
}

/* tool --help */
void
tool_help(const struct tool *t, FILE *f)
{
	int i;

	fprintf(f,
	    "usage: %s [--socket PATH] [--json] [--timeout SEC] COMMAND [ARG...] [FIELD=VALUE...]\n%s\n\nCommands:\n",
	    t->name, t->api->summary);
	tool_usage_cmds(t, f);
	fprintf(f,
	    "\nOptions, before or after the command:\n"
	    "  -s, --socket PATH   the daemon's socket (default %s)\n"
	    "  -j, --json          print the daemon's result as JSON\n"
	    "  --timeout SEC       wait at most SEC for progress (default %d)\n"
	    "  -h, --help          this text; '%s COMMAND --help': a command's fields\n"
	    "  --version           the version\n",
	    t->socket, t->timeout_s, t->name);
	for (i = 0; t->peers != NULL && t->peers[i] != NULL; i++)
		fprintf(f,
		    "  %s PATH\n%22s%s's socket, for its commands (default %s)\n",
		    t->peers[i]->option, "", t->peers[i]->api->daemon,
		    t->peers[i]->socket);
	fputs("\n" TOOL_EXIT_TEXT, f);
}

/* tool CMD --help: the command, its words and its route's fields. */
void
tool_help_cmd(const struct tool *t, const struct tool_cmd *cmd, FILE *f)
{
	const struct apispec_field *const *fp;
	const struct tool_word *w;
	char syn[160], type[64], name[48];
	int col;

	tool_synopsis(cmd, syn, sizeof(syn));
	fprintf(f, "usage: %s %s%s%s [FIELD=VALUE...]\n", t->name, cmd->name,
	    syn[0] ? " " : "", syn);
	tool_wrap(f, 0, 0, cmd->summary ? cmd->summary : cmd->route->summary);
	if (cmd->help != NULL)
		fprintf(f, "%s\n", cmd->help);
	fprintf(f, "\nFields (%s %s), as NAME=VALUE or --NAME VALUE:\n",
	    apispec_method_name(cmd->route), cmd->route->path);
	for (fp = cmd->route->fields; fp != NULL && *fp != NULL; fp++) {
		apispec_type_text(*fp, type, sizeof(type));
		snprintf(name, sizeof(name), "%s=", (*fp)->name);
		col = fprintf(f, "  %-14s %s%s;", name,
		    (*fp)->flags & APISPEC_REQUIRED ? "required, " : "", type);
		tool_wrap(f, col, 17, (*fp)->help);
	}
	if (cmd->route->fields == NULL || cmd->route->fields[0] == NULL)
		fprintf(f, "  (none)\n");
	for (w = cmd->words; w != NULL && w->word != NULL; w++) {
		if (w == cmd->words)
			fprintf(f, "Words:\n");
		if (w->field != NULL)
			fprintf(
			    f, "  %-14s %s=%s\n", w->word, w->field, w->value);
		else
			fprintf(f, "  %-14s the default\n", w->word);
	}
	for (w = cmd->dflt; w != NULL && w->word != NULL; w++)
		fprintf(f, "Default: %s=%s\n", w->field, w->value);
	if (cmd->flags & TOOL_PRESS)
		fprintf(f, "Without down=: down, then up (a press).\n");
	fprintf(f, "\n" TOOL_EXIT_TEXT);
}
