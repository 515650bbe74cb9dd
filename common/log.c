/*
 * log.c -- one line per event on stderr, journald-aware.
 *
 * A line is formatted into a stack buffer, control characters escaped, and
 * written with one write(2), so lines from worker threads never interleave.
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

/*
 * Copies s[0..len) into out, escaping control characters and bytes that are
 * not part of valid UTF-8 as \xNN (\n, \r, \t by name).
 */
char *
log_escape(const char *s, size_t len, char *out, size_t outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, n, k;
	unsigned char c;

	if (outlen == 0)
		return out;
	while (i < len && o + 1 < outlen) {
		c = u[i];
		n = 0;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		for (k = 1; n > 0 && k <= n; k++)
			if (i + k >= len || (u[i + k] & 0xc0) != 0x80)
				n = 0;
		if (n > 0) {
			if (o + n + 1 >= outlen)
				break;
			memcpy(out + o, u + i, n + 1);
			o += n + 1;
			i += n + 1;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			char tmp[5];

			if (c == '\n')
				snprintf(tmp, sizeof(tmp), "\\n");
			else if (c == '\r')
				snprintf(tmp, sizeof(tmp), "\\r");
			else if (c == '\t')
				snprintf(tmp, sizeof(tmp), "\\t");
			else
				snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			if (o + strlen(tmp) + 1 >= outlen)
				break;
			memcpy(out + o, tmp, strlen(tmp));
			o += strlen(tmp);
		}
		i++;
	}
	out[o] = '\0';
	return out;
}

/* Formats and writes one line at a syslog level, with errno text if asked. */
static void
log_vwrite(
    int level, int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	char msg[2048], esc[4096], line[4400];
	struct timespec ts;
	struct tm tm;
	int n, m;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	log_escape(msg, (size_t)n, esc, sizeof(esc));
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
	vsnprintf(buf, sizeof(buf), fmt, ap);
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
