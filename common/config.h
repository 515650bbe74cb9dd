/*
 * config.h -- options described once, read from the command line and from
 * the INI config file.
 *
 * Each daemon lists its options in a table.  The config file (--config,
 * default /etc/kaputtkvm/kaputtkvm.conf) has one section per daemon ([capd],
 * [hidd], [mediad], [gpiod-ctl]) and kaputtkvm-gadget reads [gadget]; keys
 * are the long option names.  Sections of the other daemons and programs are
 * not ours to read and are skipped; any other section is a typo and an
 * error.  The command line wins over the file.  An unknown key, a bad value
 * or a missing value is an error naming the file and line (or the option).
 */
#ifndef KVM_CONFIG_H
#define KVM_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum config_type {
	CONFIG_STRING, /* char *: strdup'ed; replaces a default */
	CONFIG_INT,    /* long long, within [min, max] */
	CONFIG_BOOL,   /* int: yes/no, true/false, on/off, 1/0 */
	CONFIG_FLAG,   /* int set to 1; no value on the command line */
	CONFIG_ACTION, /* a CONFIG_FLAG for the command line only (hidd's
			* --release): a file never turns it on */
	CONFIG_LIST,   /* struct config_list: repeatable */
	CONFIG_CUSTOM, /* parse() decides */
};

struct config_list {
	char **items;
	size_t n;
};

struct config_option {
	const char *name; /* long name and INI key */
	int short_name;	  /* 0 for none */
	enum config_type type;
	void *ptr;
	long long min, max;  /* CONFIG_INT */
	const char *metavar; /* "PATH", "N" */
	const char *help;
	/* CONFIG_CUSTOM: 0, or -EINVAL with error_set() saying what is wrong. */
	int (*parse)(const char *value, void *ptr);
};

/*
 * A daemon's options plus the common ones every daemon has: --socket,
 * --socket-mode, --socket-group, --config, --check-config, --verbose, --help,
 * --version.
 */
struct config_common {
	char *socket_path;     /* default /run/kaputtkvm/<daemon>.sock */
	long long socket_mode; /* default 0660 (octal in file and argv) */
	char *socket_group;    /* NULL: leave as is */
	char *config_path;
	int check_config;
	int verbose;
};

struct config_spec {
	const char *daemon;		     /* section name, "capd" */
	const char *summary;		     /* one line for --help */
	const struct config_option *options; /* ends with name == NULL */
	/*
	 * Keys not in the table (gpiod-ctl's named lines): return 0 if taken,
	 * -ENOENT if unknown (the caller reports "unknown key"), -EINVAL with
	 * error_set() if bad.  NULL: every unknown key is an error.
	 */
	int (*extra_key)(const char *key, const char *value, void *arg);
	void *extra_arg;
};

/*
 * Parses argv, then the config file, applying command-line values last.
 * Returns 0 to run, 1 when --help or --version printed and the process should
 * exit 0, and -EINVAL after printing the error to stderr (exit 1).
 */
int config_load(
    const struct config_spec *, struct config_common *, int argc, char **argv);
/* Parses an INI file only (for tests and fuzzing): 0 or -EINVAL with
 * error_set() naming file:line. */
int config_load_file(const struct config_spec *, const char *path);
int config_load_string(
    const struct config_spec *, const char *name, const char *text, size_t len);
void config_usage(const struct config_spec *, FILE *);
void config_free(const struct config_spec *, struct config_common *);

#endif
