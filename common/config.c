/*
 * config.c -- options from the command line and the INI config file.
 *
 * The command line is read twice: once to find --config, --help and
 * --version, then, after the file, to apply its values, so the command line
 * wins.  The file is parsed with libinih; a key its handler refuses makes
 * ini_parse() return that line, which is how errors name file and line.
 * Strings the parser stores are owned here and released by config_free();
 * defaults may be string literals.  Lists start empty and belong to their
 * option; a list given on the command line replaces the file's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "error.h"
#include "log.h"
#include "xmalloc.h"

#include "kvm-config.h"

#define CONFIG_DEFAULT_PATH KVM_SYSCONFDIR "/kaputtkvm/kaputtkvm.conf"

/*
 * Sections of the shared file: the daemons', then those of the other
 * KaputtKVM programs that read it (kaputtkvm-gadget's [gadget]), which each
 * daemon skips like another daemon's.  A section in neither list is a typo.
 */
static const char *const config_sections[] = {"capd", "hidd", "mediad",
    "gpiod-ctl", "fetchd", "redfishd", "ocrd", "gadget", NULL};

/* config_sections as the error names them: "[capd], [hidd], ... and
 * [gadget]". */
static void
config_sections_text(char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; config_sections[i] != NULL && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s[%s]",
		    i == 0				 ? ""
			: config_sections[i + 1] == NULL ? " and "
							 : ", ",
		    config_sections[i]);
}

/* Everything config.c allocated and handed out, freed by config_free(). */
static void **config_owned;
static size_t config_nowned;

static int config_parse_mode(const char *, void *);

static struct config_common *config_cur_common;

/* The options every daemon has; ptr filled in per call. */
enum {
	COMMON_SOCKET,
	COMMON_MODE,
	COMMON_GROUP,
	COMMON_CONFIG,
	COMMON_CHECK,
	COMMON_VERBOSE,
	COMMON_HELP,
	COMMON_VERSION,
	COMMON_N
};

static const struct config_option config_common_template[COMMON_N] = {
    {"socket", 's', CONFIG_STRING, NULL, 0, 0, "PATH",
	"UNIX socket to listen on", NULL},
    {"socket-mode", 0, CONFIG_CUSTOM, NULL, 0, 0, "MODE",
	"permissions of the socket, octal (default 0660)", config_parse_mode},
    {"socket-group", 0, CONFIG_STRING, NULL, 0, 0, "GROUP",
	"group of the socket (default: unchanged)", NULL},
    {"config", 'c', CONFIG_STRING, NULL, 0, 0, "FILE",
	"config file (default " CONFIG_DEFAULT_PATH ")", NULL},
    {"check-config", 'n', CONFIG_FLAG, NULL, 0, 0, NULL,
	"check the configuration and exit 0 if it is good, 1 if not", NULL},
    {"verbose", 'v', CONFIG_FLAG, NULL, 0, 0, NULL, "log debug messages too",
	NULL},
    {"help", 'h', CONFIG_FLAG, NULL, 0, 0, NULL, "show this help", NULL},
    {"version", 'V', CONFIG_FLAG, NULL, 0, 0, NULL, "show the version", NULL},
};

/* Records p as ours to free. */
static void *
config_own(void *p)
{
	config_owned = xreallocarray(
	    config_owned, config_nowned + 1, sizeof(*config_owned));
	config_owned[config_nowned++] = p;
	return p;
}

/* Frees p if it is ours; literals and foreign pointers are left alone. */
static void
config_disown(void *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < config_nowned; i++) {
		if (config_owned[i] == p) {
			free(p);
			config_owned[i] = config_owned[--config_nowned];
			return;
		}
	}
}

/* Socket mode in octal. */
static int
config_parse_mode(const char *value, void *ptr)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(value, &end, 8);
	if (*value == '\0' || *end != '\0' || errno != 0 || n < 0 || n > 07777)
		return error_set(-EINVAL,
		    "\"%s\" is not an octal file mode such as 0660", value);
	*(long long *)ptr = n;
	return 0;
}

/* Parses a boolean word. */
static int
config_parse_bool(const char *value, int *ret)
{
	static const char *const yes[] = {"1", "yes", "true", "on", NULL};
	static const char *const no[] = {"0", "no", "false", "off", NULL};
	size_t i;

	for (i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*ret = 1;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*ret = 0;
			return 0;
		}
	}
	return error_set(
	    -EINVAL, "\"%s\" is not yes/no, true/false, on/off or 1/0", value);
}

/* Stores one value into an option; error_set() says what is wrong. */
static int
config_apply(const struct config_option *o, const char *value)
{
	struct config_list *list;
	char *end;
	long long n;
	int b = 0, r;

	switch (o->type) {
	case CONFIG_STRING:
		if (*value == '\0')
			return error_set(-EINVAL, "the value is empty");
		config_disown(*(char **)o->ptr);
		*(char **)o->ptr = config_own(xstrdup(value));
		return 0;
	case CONFIG_INT:
		errno = 0;
		n = strtoll(value, &end, 10);
		if (*value == '\0' || *end != '\0' || errno != 0 ||
		    n < o->min || n > o->max)
			return error_set(-EINVAL,
			    "\"%s\" is not a whole number from %lld to %lld",
			    value, o->min, o->max);
		*(long long *)o->ptr = n;
		return 0;
	case CONFIG_BOOL:
	case CONFIG_FLAG:
	case CONFIG_ACTION:
		if ((r = config_parse_bool(value, &b)) < 0)
			return r;
		*(int *)o->ptr = b;
		return 0;
	case CONFIG_LIST:
		if (*value == '\0')
			return error_set(-EINVAL, "the value is empty");
		list = o->ptr;
		list->items = xreallocarray(
		    list->items, list->n + 2, sizeof(*list->items));
		list->items[list->n++] = xstrdup(value);
		list->items[list->n] = NULL;
		return 0;
	case CONFIG_CUSTOM:
		return o->parse(value, o->ptr);
	}
	return error_set(-EINVAL, "bad option type");
}

/* Empties a list option. */
static void
config_list_clear(struct config_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

/* The common options with their pointers into c. */
static void
config_common_options(struct config_common *c, struct config_option *out)
{
	memcpy(out, config_common_template, sizeof(config_common_template));
	out[COMMON_SOCKET].ptr = &c->socket_path;
	out[COMMON_MODE].ptr = &c->socket_mode;
	out[COMMON_GROUP].ptr = &c->socket_group;
	out[COMMON_CONFIG].ptr = &c->config_path;
	out[COMMON_CHECK].ptr = &c->check_config;
	out[COMMON_VERBOSE].ptr = &c->verbose;
	out[COMMON_HELP].ptr = NULL;
	out[COMMON_VERSION].ptr = NULL;
}

/* Finds an option by name in the daemon's table, then the common ones
 * that may appear in a file. */
static const struct config_option *
config_find(const struct config_spec *spec, const struct config_option *common,
    const char *name, int from_file)
{
	const struct config_option *o;
	int i;

	for (o = spec->options; o != NULL && o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	for (i = 0; common != NULL && i < COMMON_N; i++) {
		if (strcmp(common[i].name, name) != 0)
			continue;
		if (from_file &&
		    (i == COMMON_CONFIG || i == COMMON_CHECK ||
			i == COMMON_HELP || i == COMMON_VERSION))
			return NULL;
		return &common[i];
	}
	return NULL;
}

struct config_file_ctx {
	const struct config_spec *spec;
	const struct config_option *common;
	char err[512];
	int failed;
};

/* inih's handler: one key of one section.  Returning 0 marks the line. */
static int
config_ini_handler(
    void *user, const char *section, const char *name, const char *value)
{
	struct config_file_ctx *ctx = user;
	const struct config_option *o;
	size_t i;
	int r;

	if (ctx->failed)
		return 1; /* report the first error only */
	for (i = 0; config_sections[i] != NULL; i++)
		if (strcmp(section, config_sections[i]) == 0)
			break;
	if (config_sections[i] == NULL && *section == '\0') {
		snprintf(ctx->err, sizeof(ctx->err),
		    "\"%s\" is outside any section; put it under [%s]", name,
		    ctx->spec->daemon);
		goto fail;
	}
	if (config_sections[i] == NULL) {
		char known[160];

		config_sections_text(known, sizeof(known));
		snprintf(ctx->err, sizeof(ctx->err),
		    "unknown section [%s]; sections are %s", section, known);
		goto fail;
	}
	if (strcmp(section, ctx->spec->daemon) != 0)
		return 1; /* another daemon's */
	o = config_find(ctx->spec, ctx->common, name, 1);
	if (o != NULL && o->type == CONFIG_ACTION) {
		snprintf(ctx->err, sizeof(ctx->err),
		    "\"%s\" is an action for the command line (%s --%s), not a setting",
		    name, ctx->spec->daemon, name);
		goto fail;
	}
	if (o == NULL) {
		if (ctx->spec->extra_key != NULL) {
			error_clear();
			r = ctx->spec->extra_key(
			    name, value, ctx->spec->extra_arg);
			if (r == 0)
				return 1;
			if (r != -ENOENT) {
				snprintf(ctx->err, sizeof(ctx->err), "%s: %s",
				    name,
				    error_get() ? error_get() : "bad value");
				goto fail;
			}
		}
		snprintf(ctx->err, sizeof(ctx->err),
		    "unknown key \"%s\" in [%s] (see %s --help)", name, section,
		    ctx->spec->daemon);
		goto fail;
	}
	error_clear();
	if (config_apply(o, value) < 0) {
		snprintf(
		    ctx->err, sizeof(ctx->err), "%s: %s", name, error_get());
		goto fail;
	}
	return 1;
fail:
	ctx->failed = 1;
	return 0;
}

/* Runs inih over a file or a string; 0 or -EINVAL with file:line. */
static int
config_load_ini(const struct config_spec *spec,
    const struct config_option *common, const char *name, FILE *f,
    const char *text)
{
	struct config_file_ctx ctx = {.spec = spec, .common = common};
	int line;

	line = f != NULL ? ini_parse_file(f, config_ini_handler, &ctx)
			 : ini_parse_string(text, config_ini_handler, &ctx);
	if (line == 0)
		return 0;
	if (line < 0)
		return error_set(-EINVAL, "%s: cannot be read", name);
	if (!ctx.failed)
		snprintf(ctx.err, sizeof(ctx.err),
		    "not a \"key = value\" line or a [section]");
	return error_set(-EINVAL, "%s:%d: %s", name, line, ctx.err);
}

/* Parses one INI file into the daemon's options (no common options). */
int
config_load_file(const struct config_spec *spec, const char *path)
{
	FILE *f;
	int r;

	if ((f = fopen(path, "re")) == NULL)
		return error_set(-errno == -ENOENT ? -ENOENT : -EINVAL,
		    "%s: %s", path, strerror(errno));
	r = config_load_ini(spec, NULL, path, f, NULL);
	fclose(f);
	return r;
}

/* Parses INI text (which need not be NUL-terminated). */
int
config_load_string(const struct config_spec *spec, const char *name,
    const char *text, size_t len)
{
	char *copy = xstrndup(text, len);
	int r;

	if (strlen(copy) != len)
		r = error_set(-EINVAL, "%s: contains a NUL byte", name);
	else
		r = config_load_ini(spec, NULL, name, NULL, copy);
	free(copy);
	return r;
}

/* Prints one option line of --help. */
static void
config_usage_option(const struct config_option *o, FILE *f)
{
	char left[64];

	snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : "",
	    o->short_name ? o->short_name : ' ', o->short_name ? ", " : " ",
	    o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
	if (!o->short_name)
		memmove(left, left + 2, strlen(left + 2) + 1);
	fprintf(f, "  %-30s %s%s\n", left, o->help ? o->help : "",
	    o->type == CONFIG_LIST &&
		    (o->help == NULL || strstr(o->help, "repeatable") == NULL)
		? " (repeatable)"
		: "");
}

/* --help text. */
void
config_usage(const struct config_spec *spec, FILE *f)
{
	const struct config_option *o;
	size_t i;

	fprintf(
	    f, "usage: %s [OPTION]...\n%s\n\n", spec->daemon, spec->summary);
	if (spec->options != NULL && spec->options->name != NULL) {
		fprintf(f, "Options (also keys of [%s] in the config file):\n",
		    spec->daemon);
		for (o = spec->options; o->name != NULL; o++)
			config_usage_option(o, f);
		fprintf(f, "\n");
	}
	fprintf(f, "Common options:\n");
	for (i = 0; i < COMMON_N; i++)
		config_usage_option(&config_common_template[i], f);
	fprintf(f, "\nThe command line wins over the config file.\n");
}

/* The getopt_long table for all options; short option string in *ret_short. */
static struct option *
config_getopt_table(const struct config_spec *spec,
    const struct config_option *common, char **ret_short)
{
	const struct config_option *o;
	struct option *lo;
	size_t n = COMMON_N, i = 0, si = 0;
	char *sh;

	for (o = spec->options; o != NULL && o->name != NULL; o++)
		n++;
	lo = xcalloc(n + 1, sizeof(*lo));
	sh = xcalloc(2 * n + 2, 1);
	sh[si++] = ':';
	for (o = spec->options; o != NULL && o->name != NULL; o++, i++) {
		lo[i].name = o->name;
		lo[i].has_arg =
		    o->type == CONFIG_FLAG || o->type == CONFIG_ACTION
		    ? no_argument
		    : required_argument;
		lo[i].val = 0x1000 + (int)i;
	}
	for (o = common; o < common + COMMON_N; o++, i++) {
		lo[i].name = o->name;
		lo[i].has_arg =
		    o->type == CONFIG_FLAG || o->type == CONFIG_ACTION
		    ? no_argument
		    : required_argument;
		lo[i].val = 0x1000 + (int)i;
	}
	for (o = spec->options; o != NULL && o->name != NULL; o++) {
		if (o->short_name) {
			sh[si++] = (char)o->short_name;
			if (o->type != CONFIG_FLAG && o->type != CONFIG_ACTION)
				sh[si++] = ':';
		}
	}
	for (o = common; o < common + COMMON_N; o++) {
		if (o->short_name) {
			sh[si++] = (char)o->short_name;
			if (o->type != CONFIG_FLAG && o->type != CONFIG_ACTION)
				sh[si++] = ':';
		}
	}
	*ret_short = sh;
	return lo;
}

/* Option index (daemon's first, then common) for a getopt result. */
static const struct config_option *
config_by_getopt(
    const struct config_spec *spec, const struct config_option *common, int c)
{
	const struct config_option *o;
	size_t n = 0;

	for (o = spec->options; o != NULL && o->name != NULL; o++) {
		if (c == 0x1000 + (int)n || (c < 0x1000 && c == o->short_name))
			return o;
		n++;
	}
	for (o = common; o < common + COMMON_N; o++) {
		if (c == 0x1000 + (int)n || (c < 0x1000 && c == o->short_name))
			return o;
		n++;
	}
	return NULL;
}

/* One config_load(): the getopt tables and what the passes share. */
struct config_args {
	const struct config_spec *spec;
	struct config_common *c;
	struct config_option common[COMMON_N];
	struct option *lo;
	char *sh;
	int argc;
	char **argv;
	int explicit_path; /* --config was given */
	char **cleared;	   /* lists the command line has emptied */
	size_t ncleared;
};

/* The defaults config_load() fills in before anything is read. */
static void
config_defaults(const struct config_spec *spec, struct config_common *c)
{
	config_cur_common = c;
	if (c->socket_mode == 0)
		c->socket_mode = 0660;
	if (c->socket_path == NULL) {
		xasprintf(
		    &c->socket_path, "/run/kaputtkvm/%s.sock", spec->daemon);
		config_own(c->socket_path);
	}
}

/* Says on stderr what is wrong with the option getopt refused. */
static void
config_bad_option(const struct config_args *ca, int ch)
{
	const char *name = ca->spec->daemon;
	const char *arg = ca->argv[optind - 1];

	if (optopt >= 0x1000 || (optopt == 0 && ch == ':'))
		fprintf(stderr, "%s: %s needs a value\n", name, arg);
	else if (ch == ':')
		fprintf(stderr, "%s: -%c needs a value\n", name, optopt);
	else if (optopt)
		fprintf(stderr, "%s: unknown option -%c (see --help)\n", name,
		    optopt);
	else
		fprintf(
		    stderr, "%s: unknown option %s (see --help)\n", name, arg);
}

/*
 * The first pass over the command line: refuses what getopt refuses and
 * stray arguments, answers --help and --version (1: exit 0), and takes
 * --config, the one option needed before the file is read.
 */
static int
config_args_first(struct config_args *ca)
{
	const struct config_option *o;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(ca->argc, ca->argv, ca->sh, ca->lo, NULL)) !=
	    -1) {
		if (ch == '?' || ch == ':') {
			config_bad_option(ca, ch);
			return -EINVAL;
		}
		if ((o = config_by_getopt(ca->spec, ca->common, ch)) == NULL)
			continue;
		if (o == &ca->common[COMMON_HELP]) {
			config_usage(ca->spec, stdout);
			return 1;
		}
		if (o == &ca->common[COMMON_VERSION]) {
			printf("%s (KaputtKVM) %s\n", ca->spec->daemon,
			    KVM_VERSION);
			return 1;
		}
		if (o == &ca->common[COMMON_CONFIG]) {
			ca->explicit_path = 1;
			config_apply(o, optarg);
		}
	}
	if (optind < ca->argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\" (see --help)\n",
		    ca->spec->daemon, ca->argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* The config file: the default one may be missing, a --config one not. */
static int
config_args_file(struct config_args *ca)
{
	const char *path;
	FILE *f;
	int r;

	path = ca->c->config_path ? ca->c->config_path : CONFIG_DEFAULT_PATH;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && !ca->explicit_path)
			return 0;
		fprintf(stderr, "%s: %s: %s\n", ca->spec->daemon, path,
		    strerror(errno));
		return -EINVAL;
	}
	r = config_load_ini(ca->spec, ca->common, path, f, NULL);
	fclose(f);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", ca->spec->daemon, error_get());
	return r;
}

/* A list given on the command line replaces the file's: emptied once,
 * before its first value. */
static void
config_args_clear_list(struct config_args *ca, const struct config_option *o)
{
	size_t i;

	for (i = 0; i < ca->ncleared; i++)
		if (ca->cleared[i] == (char *)o->ptr)
			return;
	config_list_clear(o->ptr);
	ca->cleared =
	    xreallocarray(ca->cleared, ca->ncleared + 1, sizeof(*ca->cleared));
	ca->cleared[ca->ncleared++] = o->ptr;
}

/* The second pass: every option's value, over the file's. */
static int
config_args_apply(struct config_args *ca)
{
	const struct config_option *o;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(ca->argc, ca->argv, ca->sh, ca->lo, NULL)) !=
	    -1) {
		if (ch == '?' || ch == ':')
			break; /* the first pass refused it */
		if ((o = config_by_getopt(ca->spec, ca->common, ch)) == NULL)
			continue;
		if (o == &ca->common[COMMON_HELP] ||
		    o == &ca->common[COMMON_VERSION])
			break; /* the first pass answered it */
		if (o->type == CONFIG_LIST)
			config_args_clear_list(ca, o);
		error_clear();
		if (config_apply(o,
			o->type == CONFIG_FLAG || o->type == CONFIG_ACTION
			    ? "1"
			    : optarg) < 0) {
			fprintf(stderr, "%s: --%s: %s\n", ca->spec->daemon,
			    o->name, error_get());
			return -EINVAL;
		}
	}
	return 0;
}

/* Command line, then file, then command line again. */
int
config_load(const struct config_spec *spec, struct config_common *c, int argc,
    char **argv)
{
	struct config_args ca = {
	    .spec = spec, .c = c, .argc = argc, .argv = argv};
	int r;

	config_defaults(spec, c);
	config_common_options(c, ca.common);
	ca.lo = config_getopt_table(spec, ca.common, &ca.sh);
	if ((r = config_args_first(&ca)) == 0 &&
	    (r = config_args_file(&ca)) == 0)
		r = config_args_apply(&ca);
	free(ca.cleared);
	free(ca.lo);
	free(ca.sh);
	if (r == 0)
		log_set_verbose(c->verbose);
	return r;
}

/* Releases what config_load() stored. */
void
config_free(const struct config_spec *spec, struct config_common *c)
{
	const struct config_option *o;

	for (o = spec->options; o != NULL && o->name != NULL; o++) {
		if (o->type == CONFIG_LIST)
			config_list_clear(o->ptr);
		else if (o->type == CONFIG_STRING) {
			config_disown(*(char **)o->ptr);
			/* a literal default stays; ours is gone */
		}
	}
	if (c != NULL) {
		config_disown(c->socket_path);
		config_disown(c->socket_group);
		config_disown(c->config_path);
		c->socket_path = c->socket_group = c->config_path = NULL;
	}
	free(config_owned);
	config_owned = NULL;
	config_nowned = 0;
}
