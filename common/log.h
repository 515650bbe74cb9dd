/*
 * log.h -- one line per event on stderr, journald-aware.
 *
 * Under journald ($JOURNAL_STREAM set) each line starts with the syslog level
 * "<N>" and carries no timestamp; elsewhere it starts with the time.  Every
 * line is written with a single write(2), so lines from threads never mix.
 * Control characters in the formatted text are escaped: callers may pass
 * strings a peer sent.
 */
#ifndef KVM_LOG_H
#define KVM_LOG_H

#include <stdarg.h>

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

void log_init(const char *ident);
void log_set_verbose(int verbose); /* 1: debug lines too */
int log_is_verbose(void);

/* Level is checked before the arguments are evaluated. */
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_is_verbose())                                          \
			log_debug_(__VA_ARGS__);                               \
	} while (0)

void log_debug_(const char *, ...) LOG_PRINTF(1, 2);
void log_info(const char *, ...) LOG_PRINTF(1, 2);
void log_warn(const char *, ...) LOG_PRINTF(1, 2); /* adds strerror(errno) */
void log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void fatal(const char *, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

/*
 * A repeating device error is logged once, then again when it changes.
 * Keep one struct log_once per error source; log_once_reset() when the
 * source recovers.
 */
struct log_once {
	char last[256];
};
void log_once_warnx(struct log_once *, const char *, ...) LOG_PRINTF(2, 3);
void log_once_reset(struct log_once *);

/* Escape control characters and bytes not in valid UTF-8 (strictly:
 * overlong forms and surrogates too) of s into out, cut between characters
 * with a visible "..." when it does not fit: utf8_quote(); returns out. */
char *log_escape(const char *s, size_t len, char *out, size_t outlen);

#endif
