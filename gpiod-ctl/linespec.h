/*
 * linespec.h -- one configured GPIO line, as written in [gpiod-ctl].
 *
 *	power-button = gpiochip0:23
 *	power-led    = gpiochip0:24 active-low pull-up
 *	line.fan     = /dev/gpiochip1:4 output open-drain
 *	line.door    = pinctrl-bcm2711:17 input debounce=50 poll
 *
 * The key names the line: one of the roles (power-button, reset-button,
 * power-led, hdd-led, capture-reset, hid-reset) or "line.NAME" for a user
 * line.  The value is CHIP:OFFSET (CHIP is a name, a /dev path, a number or
 * a label; the last ':' splits it) followed by flags in any order.  Roles
 * imply the direction; user lines must say input or output.  Pure code: no
 * device is touched here (lines.c resolves chips).
 */
#ifndef GPIOD_CTL_LINESPEC_H
#define GPIOD_CTL_LINESPEC_H

#include <stddef.h>

#define LINESPEC_NAME_MAX     32 /* user line names */
#define LINESPEC_CHIP_MAX     64 /* chip name, path or label */
#define LINESPEC_OFFSET_MAX   65535
#define LINESPEC_DEBOUNCE_MAX 1000 /* ms */

enum linespec_role {
	LINESPEC_POWER_BUTTON,
	LINESPEC_RESET_BUTTON,
	LINESPEC_POWER_LED,
	LINESPEC_HDD_LED,
	LINESPEC_CAPTURE_RESET,
	LINESPEC_HID_RESET,
	LINESPEC_USER,
};

enum linespec_dir {
	LINESPEC_DIR_UNSET,
	LINESPEC_INPUT,
	LINESPEC_OUTPUT,
};

enum linespec_bias {
	LINESPEC_BIAS_AS_IS,
	LINESPEC_BIAS_DISABLE,
	LINESPEC_BIAS_PULL_UP,
	LINESPEC_BIAS_PULL_DOWN,
};

enum linespec_drive {
	LINESPEC_PUSH_PULL,
	LINESPEC_OPEN_DRAIN,
	LINESPEC_OPEN_SOURCE,
};

struct linespec {
	char name[LINESPEC_NAME_MAX + 1]; /* key or user name */
	enum linespec_role role;
	char chip[LINESPEC_CHIP_MAX + 1];
	unsigned int offset;
	enum linespec_dir dir; /* never UNSET after parsing */
	int active_low;
	enum linespec_bias bias;   /* inputs only */
	enum linespec_drive drive; /* outputs only */
	int debounce_ms;	   /* inputs; -1: the default */
	int poll; /* inputs: read by polling, not edge events */
};

/*
 * Whether key names a line: 0 with *ret_role set, -ENOENT when the key is
 * not a line key at all (some other option), -EINVAL (error_set()) for a
 * "line." key with a bad name.
 */
int linespec_key(const char *key, enum linespec_role *ret_role);
/* Parses one config entry; -EINVAL with error_set() naming key, value and
 * what is wrong. */
int linespec_parse(const char *key, const char *value, struct linespec *ret);
/* The canonical value text ("gpiochip0:24 input active-low"); parsing it
 * with the same key gives the same spec.  Returns 0 or -ENOSPC. */
int linespec_format(const struct linespec *, char *buf, size_t len);
const char *linespec_role_name(enum linespec_role);	 /* "power-led" */
enum linespec_dir linespec_role_dir(enum linespec_role); /* UNSET: user */
const char *linespec_dir_name(enum linespec_dir);	 /* "input" */
const char *linespec_bias_name(enum linespec_bias);	 /* "pull-up" */
const char *linespec_drive_name(enum linespec_drive);	 /* "open-drain" */

#endif
