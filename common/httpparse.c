/*
 * httpparse.c -- pure parsing of HTTP/1.1 request heads and chunked bodies.
 *
 * The head is copied once and cut into NUL-terminated pieces in place; the
 * field table and the decoded path and query point into or beside that copy
 * and are freed together.  Everything a peer sent is bounded by the caller
 * (the head by max_header_bytes, fields by HTTPPARSE_MAX_FIELDS), so nothing
 * here allocates more than a small multiple of the head's length.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpparse.h"
#include "xmalloc.h"

enum {
	CH_SIZE,    /* hex digits of the chunk size */
	CH_EXT,	    /* chunk extension up to the line end */
	CH_SIZE_LF, /* CR seen after the size line */
	CH_DATA,
	CH_DATA_CR, /* CRLF after the data */
	CH_DATA_LF,
	CH_TRAILER, /* at the start of a trailer line */
	CH_TRAILER_LINE,
	CH_TRAILER_LF, /* CR seen at a trailer line's end */
	CH_END_LF,     /* CR of the final empty line seen */
	CH_DONE,
};

#define CH_MAX_LINE 4096 /* chunk size line with its extensions */

/* 1 for a tchar (RFC 9110 5.6.2), the characters of methods and names. */
static int
httpparse_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The value of a hex digit, or -1. */
static int
httpparse_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Records a failure in h and returns -EINVAL. */
static int
httpparse_fail(struct httpparse_head *h, int status, const char *why)
{
	h->status = status;
	h->why = why;
	return -EINVAL;
}

/* Finds the end of a head: the length up to its blank line, or 0. */
size_t
httpparse_head_len(const char *buf, size_t len, size_t from)
{
	size_t i;

	/* An end is "\n\n" or "\n\r\n"; back up so one split across two
	 * calls is still found. */
	i = from > 2 ? from - 2 : 0;
	for (; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* 414 while the request line is unfinished, else 431. */
int
httpparse_overflow_status(const char *buf, size_t len)
{
	return memchr(buf, '\n', len) == NULL ? 414 : 431;
}

/* The enum http_method bit of a method name, or 0. */
unsigned int
httpparse_method_bit(const char *name)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} methods[] = {
	    {"GET", HTTP_GET},
	    {"HEAD", HTTP_HEAD},
	    {"POST", HTTP_POST},
	    {"PUT", HTTP_PUT},
	    {"DELETE", HTTP_DELETE},
	    {"OPTIONS", HTTP_OPTIONS},
	    {"PATCH", HTTP_PATCH},
	};
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(name, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

/* Percent-decodes into a new string; -EINVAL for bad escapes or NUL. */
int
httpparse_decode(const char *s, size_t len, int form, char **ret)
{
	char *out;
	size_t i, n = 0;
	int hi, lo;

	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (i + 2 >= len)
				goto bad;
			hi = httpparse_hex((unsigned char)s[i + 1]);
			lo = httpparse_hex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0')
			goto bad;
		else if (form && s[i] == '+')
			out[n++] = ' ';
		else
			out[n++] = s[i];
	}
	out[n] = '\0';
	*ret = out;
	return 0;
bad:
	free(out);
	return -EINVAL;
}

/* 1 when a decoded path has a "." or ".." segment. */
static int
httpparse_dot_segment(const char *p)
{
	const char *seg;
	size_t n;

	for (seg = p; *seg != '\0'; seg += n) {
		seg += strspn(seg, "/");
		n = strcspn(seg, "/");
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 1;
	}
	return 0;
}

/* Splits and decodes the query string q into h->params. */
static int
httpparse_query_split(struct httpparse_head *h, const char *q)
{
	static const char bad[] = "the query has a bad percent escape or a NUL";
	const char *p, *amp, *eq;
	size_t n, max;

	max = 1;
	for (p = q; *p != '\0'; p++)
		if (*p == '&')
			max++;
	h->params = xcalloc(max, sizeof(*h->params));
	for (p = q;; p = amp + 1) {
		amp = p + strcspn(p, "&");
		n = (size_t)(amp - p);
		if (n > 0) {
			eq = memchr(p, '=', n);
			if (httpparse_decode(p, eq ? (size_t)(eq - p) : n, 1,
				&h->params[h->nparams].key) < 0)
				return httpparse_fail(h, 400, bad);
			if (httpparse_decode(eq ? eq + 1 : amp,
				eq ? (size_t)(amp - eq - 1) : 0, 1,
				&h->params[h->nparams].value) < 0) {
				free(h->params[h->nparams].key);
				return httpparse_fail(h, 400, bad);
			}
			h->nparams++;
		}
		if (*amp == '\0')
			break;
	}
	return 0;
}

/* Parses the request target into path and query. */
static int
httpparse_target(struct httpparse_head *h, char *t)
{
	char *q, *p = t;

	/* absolute-form: keep only the path */
	if (strncasecmp(p, "http://", 7) == 0 ||
	    strncasecmp(p, "https://", 8) == 0) {
		p = strstr(p, "//") + 2;
		p += strcspn(p, "/?");
		if (*p != '/')
			return httpparse_fail(
			    h, 400, "the request target has no path");
	}
	if (*p != '/')
		return httpparse_fail(
		    h, 400, "the request target must start with '/'");
	if (strchr(p, '#') != NULL)
		return httpparse_fail(
		    h, 400, "the request target must not carry a fragment");
	q = strchr(p, '?');
	if (httpparse_decode(p, q ? (size_t)(q - p) : strlen(p), 0, &h->path) <
	    0)
		return httpparse_fail(
		    h, 400, "the path has a bad percent escape or a NUL");
	if (h->path[0] != '/')
		return httpparse_fail(h, 400, "the path must start with '/'");
	if (httpparse_dot_segment(h->path))
		return httpparse_fail(
		    h, 400, "the path must not hold '.' or '..' segments");
	if (q != NULL)
		return httpparse_query_split(h, q + 1);
	return 0;
}

/* Parses "METHOD SP target SP HTTP/1.x" at line (NUL-terminated). */
static int
httpparse_request_line(struct httpparse_head *h, char *line)
{
	char *sp1, *sp2, *v;
	char *p;

	if ((sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL || strchr(sp2 + 1, ' '))
		return httpparse_fail(h, 400,
		    "the request line must be 'METHOD target HTTP/1.1'");
	*sp1 = *sp2 = '\0';
	if (*line == '\0' || sp2 == sp1 + 1)
		return httpparse_fail(h, 400,
		    "the request line must be 'METHOD target HTTP/1.1'");
	for (p = line; *p != '\0'; p++)
		if (!httpparse_tchar((unsigned char)*p))
			return httpparse_fail(
			    h, 400, "the method is not a token");
	for (p = sp1 + 1; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return httpparse_fail(h, 400,
			    "the request target holds a byte that must be "
			    "percent-encoded");
	v = sp2 + 1;
	if (strncmp(v, "HTTP/", 5) != 0 || strlen(v) != 8 || v[5] < '0' ||
	    v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return httpparse_fail(h, 400, "the HTTP version is malformed");
	if (v[5] != '1')
		return httpparse_fail(
		    h, 505, "only HTTP/1.0 and 1.1 are served");
	h->minor = v[7] == '0' ? 0 : 1;
	h->method = line;
	h->target = sp1 + 1;
	h->method_bit = httpparse_method_bit(line);
	return httpparse_target(h, sp1 + 1);
}

/* 1 when the comma-separated list val holds token tok (any case); a NULL
 * val (an absent header) holds nothing. */
int
httpparse_list_has(const char *val, const char *tok)
{
	size_t n, tl = strlen(tok);

	if (val == NULL)
		return 0;
	while (*val != '\0') {
		val += strspn(val, " \t,");
		n = strcspn(val, ",");
		while (n > 0 && (val[n - 1] == ' ' || val[n - 1] == '\t'))
			n--;
		if (n == tl && strncasecmp(val, tok, n) == 0)
			return 1;
		val += strcspn(val, ",");
	}
	return 0;
}

/* Checks the fields that shape the message (length, connection). */
static int
httpparse_framing(struct httpparse_head *h)
{
	const char *te = NULL, *v, *p;
	size_t i, ncl = 0, nte = 0;
	int64_t cl = 0;

	for (i = 0; i < h->nfields; i++) {
		v = h->fields[i].value;
		if (strcasecmp(h->fields[i].name, "Content-Length") == 0) {
			if (++ncl > 1)
				return httpparse_fail(h, 400,
				    "Content-Length is given more than once");
			if (*v == '\0' || strlen(v) > 18)
				return httpparse_fail(
				    h, 400, "Content-Length is not a number");
			for (p = v, cl = 0; *p != '\0'; p++) {
				if (*p < '0' || *p > '9')
					return httpparse_fail(h, 400,
					    "Content-Length is not a number");
				cl = cl * 10 + (*p - '0');
			}
			h->content_length = cl;
		} else if (strcasecmp(h->fields[i].name, "Transfer-Encoding") ==
		    0) {
			te = v;
			nte++;
		} else if (strcasecmp(h->fields[i].name, "Connection") == 0) {
			if (httpparse_list_has(v, "close"))
				h->keep_alive = 0;
			else if (httpparse_list_has(v, "keep-alive"))
				h->keep_alive = 1;
			if (httpparse_list_has(v, "upgrade"))
				h->upgrade = 1;
		} else if (strcasecmp(h->fields[i].name, "Expect") == 0) {
			if (strcasecmp(v, "100-continue") != 0)
				return httpparse_fail(h, 417,
				    "only 'Expect: 100-continue' is "
				    "understood");
			h->expect_continue = h->minor >= 1;
		}
	}
	if (te != NULL) {
		if (h->minor == 0)
			return httpparse_fail(h, 400,
			    "Transfer-Encoding is not allowed in HTTP/1.0");
		if (ncl > 0)
			return httpparse_fail(h, 400,
			    "Transfer-Encoding and Content-Length must not "
			    "both be given");
		if (nte > 1 || strcasecmp(te, "chunked") != 0)
			return httpparse_fail(h, 501,
			    "only 'Transfer-Encoding: chunked' is supported");
		h->chunked = 1;
	}
	return 0;
}

/* Cuts one field line (NUL-terminated, no line end) into h->fields. */
static int
httpparse_field_line(struct httpparse_head *h, char *line)
{
	char *colon, *v, *end, *p;

	if (*line == ' ' || *line == '\t')
		return httpparse_fail(
		    h, 400, "folded header lines (obs-fold) are not accepted");
	if ((colon = strchr(line, ':')) == NULL || colon == line)
		return httpparse_fail(h, 400, "a header line has no name");
	for (p = line; p < colon; p++)
		if (!httpparse_tchar((unsigned char)*p))
			return httpparse_fail(h, 400,
			    "a header name holds a character that is not "
			    "allowed (no space before the colon)");
	*colon = '\0';
	v = colon + 1;
	v += strspn(v, " \t");
	for (p = v; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return httpparse_fail(
			    h, 400, "a header value holds a control character");
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (h->nfields == HTTPPARSE_MAX_FIELDS)
		return httpparse_fail(h, 431, "too many header fields");
	h->fields[h->nfields].name = line;
	h->fields[h->nfields].value = v;
	h->nfields++;
	return 0;
}

/* Parses a whole head strictly into h. */
int
httpparse_head_parse(const char *buf, size_t len, struct httpparse_head *h)
{
	char *line, *nl, *end;
	int r, first = 1;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	h->buf = xmalloc(len + 1);
	memcpy(h->buf, buf, len);
	h->buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL)
		return httpparse_fail(h, 400, "the request head holds a NUL");
	h->fields = xcalloc(HTTPPARSE_MAX_FIELDS, sizeof(*h->fields));
	end = h->buf + len;
	for (line = h->buf; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			return httpparse_fail(h, 400,
			    "the request head does not end in a blank line");
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (strchr(line, '\r') != NULL)
			return httpparse_fail(
			    h, 400, "a bare CR in the request head");
		if (*line == '\0') {
			if (first)
				return httpparse_fail(
				    h, 400, "the request line is empty");
			break;
		}
		if (first) {
			if ((r = httpparse_request_line(h, line)) < 0)
				return r;
			first = 0;
		} else if ((r = httpparse_field_line(h, line)) < 0)
			return r;
	}
	if (first)
		return httpparse_fail(h, 400, "the request line is empty");
	h->keep_alive = h->minor >= 1;
	return httpparse_framing(h);
}

/* Frees what a parse allocated. */
void
httpparse_head_free(struct httpparse_head *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nparams; i++) {
		free(h->params[i].key);
		free(h->params[i].value);
	}
	free(h->params);
	free(h->fields);
	free(h->path);
	free(h->buf);
	memset(h, 0, sizeof(*h));
	h->content_length = -1;
}

/* The first field value with that name, any case. */
const char *
httpparse_field(const struct httpparse_head *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nfields; i++)
		if (strcasecmp(h->fields[i].name, name) == 0)
			return h->fields[i].value;
	return NULL;
}

/* The first decoded query value with that key. */
const char *
httpparse_query(const struct httpparse_head *h, const char *key)
{
	size_t i;

	for (i = 0; i < h->nparams; i++)
		if (strcmp(h->params[i].key, key) == 0)
			return h->params[i].value;
	return NULL;
}

/* Readies a chunked decoder. */
void
httpparse_chunked_init(struct httpparse_chunked *c, size_t max_trailer)
{
	memset(c, 0, sizeof(*c));
	c->state = CH_SIZE;
	c->max_trailer = max_trailer;
}

/* 1 once the last chunk and trailer are in. */
int
httpparse_chunked_done(const struct httpparse_chunked *c)
{
	return c->state == CH_DONE;
}

/* Ends a chunk size line: data follows, or the trailer for the last one. */
static void
httpparse_chunked_size_end(struct httpparse_chunked *c)
{
	c->state = c->left > 0 ? CH_DATA : CH_TRAILER;
	c->line = 0;
}

/* What a framing byte can be: fine, malformed, or past a length limit. */
enum { CH_OK, CH_BAD, CH_TOOLONG };

/* A byte of a chunk-size line: the hex size, extensions, the line end. */
static int
httpparse_chunked_size_byte(struct httpparse_chunked *c, char ch)
{
	int d;

	switch (c->state) {
	case CH_SIZE:
		if ((d = httpparse_hex((unsigned char)ch)) >= 0) {
			if (++c->digits > 15)
				return CH_TOOLONG;
			c->left = c->left << 4 | (uint64_t)d;
			return CH_OK;
		}
		if (c->digits == 0)
			return CH_BAD;
		if (ch == ';' || ch == ' ' || ch == '\t')
			c->state = CH_EXT;
		else if (ch == '\r')
			c->state = CH_SIZE_LF;
		else if (ch == '\n')
			httpparse_chunked_size_end(c);
		else
			return CH_BAD;
		return CH_OK;
	case CH_EXT:
		if (++c->line > CH_MAX_LINE)
			return CH_TOOLONG;
		if (ch == '\r')
			c->state = CH_SIZE_LF;
		else if (ch == '\n')
			httpparse_chunked_size_end(c);
		else if ((unsigned char)ch < 0x20 && ch != '\t')
			return CH_BAD;
		return CH_OK;
	default: /* CH_SIZE_LF */
		if (ch != '\n')
			return CH_BAD;
		httpparse_chunked_size_end(c);
		return CH_OK;
	}
}

/* A byte after a chunk's data (its CRLF) or of the trailer section. */
static int
httpparse_chunked_end_byte(struct httpparse_chunked *c, char ch)
{
	switch (c->state) {
	case CH_DATA_CR:
		if (ch == '\r')
			c->state = CH_DATA_LF;
		else if (ch != '\n')
			return CH_BAD;
		else {
			c->state = CH_SIZE;
			c->digits = 0;
		}
		return CH_OK;
	case CH_DATA_LF:
		if (ch != '\n')
			return CH_BAD;
		c->state = CH_SIZE;
		c->digits = 0;
		return CH_OK;
	case CH_TRAILER:
		if (ch == '\r')
			c->state = CH_END_LF;
		else if (ch == '\n')
			c->state = CH_DONE;
		else
			c->state = CH_TRAILER_LINE;
		return ++c->trailer > c->max_trailer ? CH_TOOLONG : CH_OK;
	case CH_TRAILER_LINE:
		if (++c->trailer > c->max_trailer)
			return CH_TOOLONG;
		if (ch == '\n')
			c->state = CH_TRAILER;
		else if (ch == '\r')
			c->state = CH_TRAILER_LF;
		return CH_OK;
	case CH_TRAILER_LF:
		if (ch != '\n')
			return CH_BAD;
		c->state = CH_TRAILER;
		return CH_OK;
	default: /* CH_END_LF */
		if (ch != '\n')
			return CH_BAD;
		c->state = CH_DONE;
		return CH_OK;
	}
}

/* Consumes framing, or returns a span of data, from in. */
int
httpparse_chunked_feed(struct httpparse_chunked *c, const char *in, size_t len,
    size_t *ret_used, size_t *ret_data, const char **ret_why)
{
	size_t i;
	int r = CH_OK;

	*ret_data = 0;
	if (c->state == CH_DATA) {
		*ret_data = len < c->left ? len : (size_t)c->left;
		*ret_used = *ret_data;
		c->left -= *ret_data;
		if (c->left == 0)
			c->state = CH_DATA_CR;
		return 0;
	}
	for (i = 0; i < len && r == CH_OK && c->state != CH_DATA &&
	     c->state != CH_DONE;
	     i++) {
		if (c->state == CH_SIZE || c->state == CH_EXT ||
		    c->state == CH_SIZE_LF)
			r = httpparse_chunked_size_byte(c, in[i]);
		else
			r = httpparse_chunked_end_byte(c, in[i]);
	}
	if (r == CH_BAD) {
		*ret_why = "the chunked body's framing is malformed";
		return -EINVAL;
	}
	if (r == CH_TOOLONG) {
		*ret_why = "a chunk size, extension or trailer is too long";
		return -EINVAL;
	}
	*ret_used = i;
	return 0;
}
