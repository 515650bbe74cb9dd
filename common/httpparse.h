/*
 * httpparse.h -- pure parsing of HTTP/1.1 request heads and chunked bodies.
 *
 * No I/O and no global state: http-conn.c feeds it the bytes a peer sent,
 * and the fuzz target http_head feeds it anything.  A head is parsed
 * strictly (no line folding, no duplicate Content-Length, no
 * Transfer-Encoding beside a Content-Length) because a lenient parser
 * behind a proxy invites request smuggling.  Failures carry the HTTP status to answer and a sentence for a
 * person.
 */
#ifndef KVM_HTTPPARSE_H
#define KVM_HTTPPARSE_H

#include <stddef.h>
#include <stdint.h>

#define HTTPPARSE_MAX_FIELDS 100

/* The methods served, as bits (http.h's routes name sets of them). */
enum http_method {
	HTTP_GET = 0x01,
	HTTP_HEAD = 0x02,
	HTTP_POST = 0x04,
	HTTP_PUT = 0x08,
	HTTP_DELETE = 0x10,
	HTTP_OPTIONS = 0x20,
	HTTP_PATCH = 0x40,
};

struct httpparse_field {
	const char *name;
	const char *value;
};

struct httpparse_param {
	char *key;   /* decoded */
	char *value; /* decoded; "" for "?a" */
};

struct httpparse_head {
	char *buf; /* owned copy, NUL-separated */
	const char *method;
	unsigned int method_bit; /* enum http_method, 0: other */
	const char *target;	 /* raw, as sent */
	char *path;		 /* decoded, without the query */
	struct httpparse_param *params;
	size_t nparams;
	int minor; /* HTTP/1.<minor>: 0 or 1 */
	struct httpparse_field *fields;
	size_t nfields;
	int64_t content_length; /* -1: none */
	int chunked;
	int keep_alive;
	int upgrade; /* "Connection: upgrade" */
	int expect_continue;
	/* When parsing failed: the status to answer and why. */
	int status;
	const char *why;
};

/*
 * Length of the head at the start of buf (request line, fields and the
 * blank line), or 0 while it is incomplete.  Scanning may start at from
 * (bytes before it were seen to hold no end).  Lines end in CRLF or LF.
 */
size_t httpparse_head_len(const char *buf, size_t len, size_t from);
/* The status for a head that has not ended within the limit: 414 while the
 * request line itself is unfinished, else 431. */
int httpparse_overflow_status(const char *buf, size_t len);
/*
 * Parses a whole head (httpparse_head_len() bytes).  Returns 0, or -EINVAL
 * with ret->status (400, 414, 417, 431, 501, 505) and ret->why set.
 * Call httpparse_head_free() afterwards either way.
 */
int httpparse_head_parse(
    const char *buf, size_t len, struct httpparse_head *ret);
void httpparse_head_free(struct httpparse_head *); /* NULL is fine */
/* A field's value by case-insensitive name (the first one); NULL if absent. */
const char *httpparse_field(const struct httpparse_head *, const char *name);
/* A decoded query parameter (the first one); NULL if absent. */
const char *httpparse_query(const struct httpparse_head *, const char *key);
/*
 * Percent-decodes s[0..len) into a new string; form also turns '+' into a
 * space (queries).  -EINVAL for a bad escape or a decoded NUL.
 */
int httpparse_decode(const char *s, size_t len, int form, char **ret);
/* The method's bit (enum http_method) or 0 for any other name. */
unsigned int httpparse_method_bit(const char *name);

/*
 * A chunked body decoder, fed whatever bytes arrive in pieces of any size.
 */
struct httpparse_chunked {
	int state;
	uint64_t left;	/* of the current chunk */
	size_t line;	/* length of the current framing line */
	size_t trailer; /* trailer bytes so far */
	size_t max_trailer;
	int digits;
};

void httpparse_chunked_init(struct httpparse_chunked *, size_t max_trailer);
/*
 * Consumes from in[0..len): *ret_used bytes, of which the first *ret_data
 * are body data (in[0..*ret_data)); when *ret_data is 0 the bytes were
 * framing.  Call again with the rest.  Returns 0, or -EINVAL for bad
 * framing (with *ret_why).
 */
int httpparse_chunked_feed(struct httpparse_chunked *, const char *in,
    size_t len, size_t *ret_used, size_t *ret_data, const char **ret_why);
/* 1 once the last chunk and the trailer have been consumed. */
int httpparse_chunked_done(const struct httpparse_chunked *);
/* 1 when a comma-separated header value (NULL: absent) holds the token, in
 * any case: "keep-alive, Upgrade" holds "upgrade". */
int httpparse_list_has(const char *val, const char *tok);

#endif
