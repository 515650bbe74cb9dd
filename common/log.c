/*
 * log.c -- one line per event on stderr, journald-aware.
 *
 * A line is formatted into a stack buffer as printable, valid UTF-8
 * (utf8_vformat(): control characters and bad bytes escaped, a cut made
 * between characters) and written with one write(2), so lines from worker threads never interleave.
 * Under journald the line starts with "<N>" (the syslog level) and journald
 * adds time and pid; elsewhere a local timestamp and the ident lead.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "utf8.h"

static const char *log_ident = "kaputtkvm";
static int log_journal;
static int log_verbose;

/* Sets the name on each line and detects journald. */
void
log_init(const char *ident)
{
	log_ident = ident;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

/* Turns debug lines on or off. */
void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

/* Whether debug lines are wanted. */
int
log_is_verbose(void)
{
	return log_verbose;
}

/* log_escape() is utf8_quote() under the name the log API has always
 * had. */
char *
log_escape(const char *s, size_t len, char *out, size_t outlen)
{
	return utf8_quote(s, len, out, outlen);
}

/* Formats and writes one line at a syslog level, with errno text if asked. */
static void
log_vwrite(
    int level, int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	char esc[4096], line[4400];
	struct timespec ts;
	struct tm tm;
	int m;

	utf8_vformat(esc, sizeof(esc), fmt, ap);
	if (log_journal) {
		m = snprintf(line, sizeof(line), "<%d>%s%s%s\n", level, esc,
		    with_errno ? ": " : "",
		    with_errno ? strerror(saved_errno) : "");
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		m = snprintf(line, sizeof(line),
		    "%04d-%02d-%02d %02d:%02d:%02d.%03ld %s[%d]: %s%s%s\n",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_ident,
		    (int)getpid(), esc, with_errno ? ": " : "",
		    with_errno ? strerror(saved_errno) : "");
	}
	if (m < 0)
		return;
	if ((size_t)m >= sizeof(line)) {
		m = sizeof(line) - 1;
		line[m - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, (size_t)m) == -1) {
		/* nowhere left to report it */
	}
}

#define LOG_BODY(level, with_errno)                                            \
	do {                                                                   \
		int e_ = errno;                                                \
		va_list ap_;                                                   \
		va_start(ap_, fmt);                                            \
		log_vwrite(level, with_errno, e_, fmt, ap_);                   \
		va_end(ap_);                                                   \
		errno = e_;                                                    \
	} while (0)

/* A debug line (through the log_debug macro). */
void
log_debug_(const char *fmt, ...)
{
	LOG_BODY(LOG_DEBUG, 0);
}

/* An informational line. */
void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, 0);
}

/* A warning with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 1);
}

/* A warning. */
void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 0);
}

/* Logs with strerror(errno) and exits 1. */
void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 1);
	exit(1);
}

/* Logs and exits 1. */
void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 0);
	exit(1);
}

/* Logs a warning unless it is the same text as the last one from there. */
void
log_once_warnx(struct log_once *once, const char *fmt, ...)
{
	char buf[sizeof(once->last)];
	va_list ap;

	va_start(ap, fmt);
	utf8_vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strcmp(buf, once->last) == 0)
		return;
	memcpy(once->last, buf, sizeof(buf));
	log_warnx("%s", buf);
}

/* Forgets the last error, so the next one is logged again. */
void
log_once_reset(struct log_once *once)
{
	once->last[0] = '\0';
}
