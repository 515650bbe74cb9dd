/*
 * metrics.c -- Prometheus text exposition format (UTF-8 text: label values
 * are kept valid UTF-8 whatever they carry).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "http.h"
#include "metrics.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

struct metrics {
	char *prefix;
	struct evbuffer *out;
	char *text; /* metrics_text()'s copy */
};

/* A new, empty exposition for one daemon. */
struct metrics *
metrics_new(const char *daemon)
{
	struct metrics *m = xcalloc(1, sizeof(*m));
	char *p;

	xasprintf(&m->prefix, "kaputtkvm_%s_", daemon);
	for (p = m->prefix; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	if ((m->out = evbuffer_new()) == NULL)
		xmalloc_fatal("a metrics buffer");
	return m;
}

/* Frees m; NULL is fine. */
void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	evbuffer_free(m->out);
	free(m->text);
	free(m->prefix);
	free(m);
}

/* # HELP and # TYPE lines for a metric family. */
void
metrics_declare(
    struct metrics *m, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(m->out, "# HELP %s%s %s\n# TYPE %s%s %s\n",
	    m->prefix, name, help, m->prefix, name, type);
}

/* One sample; labels is "k=\"v\",k2=\"v2\"" or NULL. */
void
metrics_sample(
    struct metrics *m, const char *name, const char *labels, double value)
{
	if (labels != NULL && *labels != '\0')
		evbuffer_add_printf(
		    m->out, "%s%s{%s} %.17g\n", m->prefix, name, labels, value);
	else
		evbuffer_add_printf(
		    m->out, "%s%s %.17g\n", m->prefix, name, value);
}

/* A gauge with one unlabelled sample. */
void
metrics_gauge(
    struct metrics *m, const char *name, const char *help, double value)
{
	metrics_declare(m, name, "gauge", help);
	metrics_sample(m, name, NULL, value);
}

/* A counter with one unlabelled sample. */
void
metrics_counter(
    struct metrics *m, const char *name, const char *help, double value)
{
	metrics_declare(m, name, "counter", help);
	metrics_sample(m, name, NULL, value);
}

/* key="value" with \, " and newline escaped; the value stays valid UTF-8
 * as the format requires: a byte not part of a valid character becomes
 * U+FFFD, and a value cut short by len is cut between characters. */
char *
metrics_label(char *buf, size_t len, const char *key, const char *value)
{
	size_t o, vlen = strlen(value), i = 0, n, need;
	const char *rep;
	int k;

	k = snprintf(buf, len, "%s=\"", key);
	if (k < 0 || (size_t)k + 2 > len) {
		if (len > 0)
			buf[0] = '\0';
		return buf;
	}
	o = (size_t)k;
	while (i < vlen) {
		rep = value + i;
		n = need = utf8_char(value + i, vlen - i);
		if (value[i] == '\\' || value[i] == '"') {
			rep = value[i] == '"' ? "\\\"" : "\\\\";
			need = 2;
		} else if (value[i] == '\n') {
			rep = "\\n";
			need = 2;
		} else if (n == 0) {
			rep = "\xef\xbf\xbd"; /* U+FFFD */
			n = 1;
			need = 3;
		}
		if (o + need + 2 > len) /* and the closing quote, NUL */
			break;
		memcpy(buf + o, rep, need);
		o += need;
		i += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* The text so far, NUL-terminated; valid until the next call or free. */
const char *
metrics_text(struct metrics *m, size_t *ret_len)
{
	size_t len = evbuffer_get_length(m->out);

	free(m->text);
	m->text = xmalloc(len + 1);
	evbuffer_copyout(m->out, m->text, len);
	m->text[len] = '\0';
	*ret_len = len;
	return m->text;
}

/* Sends the exposition and frees m. */
void
metrics_reply(struct http_request *req, struct metrics *m)
{
	http_reply_buffer(
	    req, 200, "text/plain; version=0.0.4; charset=utf-8", m->out);
	metrics_free(m);
}
