/*
 * test_httpparse.c -- request heads, percent-decoding, queries and chunked
 * bodies as common/httpparse.c reads them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http-int.h"
#include "http.h"
#include "httpparse.h"
#include "tap.h"

/* Parses s; returns 0 or the failure status. */
static int
parse(const char *s, struct httpparse_head *h)
{
	size_t len = strlen(s), hl;

	hl = httpparse_head_len(s, len, 0);
	if (hl == 0)
		return -1;
	if (httpparse_head_parse(s, hl, h) < 0)
		return h->status;
	return 0;
}

/* The status a head fails with, or 0. */
static int
status_of(const char *s)
{
	struct httpparse_head h;
	int r;

	r = parse(s, &h);
	httpparse_head_free(&h);
	return r;
}

static void
test_valid(void)
{
	struct httpparse_head h;
	const char *req =
	    "POST /images/a%20b.iso?fps=30&name=x+y&flag&e=&pct=%41%2f "
	    "HTTP/1.1\r\n"
	    "Host: kvm\r\n"
	    "content-LENGTH:   42  \r\n"
	    "X-Empty:\r\n"
	    "X-Tab:\tvalue\twith tab\t\r\n"
	    "\r\n"
	    "body bytes after the head";

	is_int(httpparse_head_len(req, strlen(req), 0),
	    strstr(req, "body") - req, "head length ends after the blank line");
	is_int(parse(req, &h), 0, "valid POST parses");
	is_str(h.method, "POST", "method");
	is_int(h.method_bit, HTTP_POST, "method bit");
	is_str(h.target, "/images/a%20b.iso?fps=30&name=x+y&flag&e=&pct=%41%2f",
	    "raw target kept");
	is_str(h.path, "/images/a b.iso", "path decoded, query cut");
	is_int(h.minor, 1, "HTTP/1.1");
	is_int(h.content_length, 42, "Content-Length read, spaces trimmed");
	is_int(h.keep_alive, 1, "1.1 keeps alive by default");
	is_int(h.chunked, 0, "not chunked");
	is_str(httpparse_field(&h, "host"), "kvm", "lower-case lookup");
	is_str(
	    httpparse_field(&h, "CONTENT-length"), "42", "mixed-case lookup");
	is_str(httpparse_field(&h, "x-empty"), "", "empty value");
	is_str(httpparse_field(&h, "X-Tab"), "value\twith tab",
	    "inner tab kept, outer trimmed");
	ok(httpparse_field(&h, "Nope") == NULL, "absent field is NULL");
	is_str(httpparse_query(&h, "fps"), "30", "query fps");
	is_str(httpparse_query(&h, "name"), "x y", "'+' is a space in queries");
	is_str(httpparse_query(&h, "flag"), "", "'?flag' gives \"\"");
	is_str(httpparse_query(&h, "e"), "", "'e=' gives \"\"");
	is_str(httpparse_query(&h, "pct"), "A/", "query percent-decoded");
	ok(httpparse_query(&h, "missing") == NULL, "absent query is NULL");
	httpparse_head_free(&h);

	is_int(parse("GET / HTTP/1.0\n\n", &h), 0, "bare LF lines accepted");
	is_int(h.minor, 0, "HTTP/1.0");
	is_int(h.keep_alive, 0, "1.0 closes by default");
	is_int(h.content_length, -1, "no Content-Length is -1");
	httpparse_head_free(&h);

	is_int(parse("GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h),
	    0, "1.0 keep-alive parses");
	is_int(h.keep_alive, 1, "1.0 with keep-alive keeps alive");
	httpparse_head_free(&h);

	is_int(parse("GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n"
		     "Upgrade: websocket\r\n\r\n",
		   &h),
	    0, "upgrade request parses");
	is_int(h.upgrade, 1, "Connection: upgrade seen in a list");
	is_int(h.keep_alive, 1, "and keep-alive");
	httpparse_head_free(&h);

	is_int(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &h), 0,
	    "close parses");
	is_int(h.keep_alive, 0, "Connection: close");
	httpparse_head_free(&h);

	is_int(parse("PUT /u HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n"
		     "Expect: 100-continue\r\n\r\n",
		   &h),
	    0, "chunked PUT parses");
	is_int(h.chunked, 1, "chunked (any case)");
	is_int(h.expect_continue, 1, "Expect: 100-continue");
	httpparse_head_free(&h);

	is_int(parse("GET http://kvm.example/state?x=1 HTTP/1.1\r\n\r\n", &h),
	    0, "absolute-form target parses");
	is_str(h.path, "/state", "absolute-form keeps the path");
	is_str(httpparse_query(&h, "x"), "1", "and the query");
	httpparse_head_free(&h);

	is_int(parse("PROPFIND /x HTTP/1.1\r\n\r\n", &h), 0,
	    "an unknown method token parses");
	is_int(h.method_bit, 0, "with method bit 0 (501 later)");
	httpparse_head_free(&h);

	is_int(parse("PATCH /x HTTP/1.1\r\nContent-Length: 2\r\n\r\n", &h), 0,
	    "PATCH parses");
	is_int(h.method_bit, HTTP_PATCH, "with its own method bit");
	is_int((int)h.content_length, 2, "and a body");
	httpparse_head_free(&h);
}

static void
test_refused(void)
{
	is_int(status_of("GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n"), 400,
	    "header folding refused");
	is_int(status_of("GET / HTTP/1.1\r\nX-A: 1\r\n\tfolded\r\n\r\n"), 400,
	    "header folding with a tab refused");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
			 "Content-Length: 5\r\n\r\n"),
	    400, "duplicate Content-Length refused, even if equal");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n"),
	    400, "Content-Length list refused");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400,
	    "negative Content-Length refused");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n"),
	    400, "hex Content-Length refused");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"), 400,
	    "empty Content-Length refused");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length: "
			 "99999999999999999999\r\n\r\n"),
	    400, "overflowing Content-Length refused");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n"), 400,
	    "Content-Length with inner space refused");
	is_int(status_of("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n"),
	    400, "Content-Length beside Transfer-Encoding refused");
	is_int(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, "
			 "chunked\r\n\r\n"),
	    501, "other transfer codings: 501");
	is_int(
	    status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
	    400, "chunked in HTTP/1.0 refused");
	is_int(status_of("GET / HTTP/1.1\r\nX-A : 1\r\n\r\n"), 400,
	    "space before the colon refused");
	is_int(status_of("GET / HTTP/1.1\r\n: 1\r\n\r\n"), 400,
	    "empty header name refused");
	is_int(status_of("GET / HTTP/1.1\r\nno colon\r\n\r\n"), 400,
	    "header line without a colon refused");
	is_int(status_of("GET / HTTP/1.1\r\nX-A: a\x01b\r\n\r\n"), 400,
	    "control character in a value refused");
	is_int(status_of("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n"), 400,
	    "bare CR refused");
	is_int(status_of("GET / HTTP/1.1\r\nExpect: something\r\n\r\n"), 417,
	    "unknown Expect: 417");
	is_int(status_of("GET  / HTTP/1.1\r\n\r\n"), 400,
	    "double space in the request line refused");
	is_int(status_of("GET /\r\n\r\n"), 400, "HTTP/0.9 request refused");
	is_int(status_of("GET / HTTP/2.0\r\n\r\n"), 505, "HTTP/2.0: 505");
	is_int(status_of("GET / HTTP/1.1x\r\n\r\n"), 400,
	    "malformed version refused");
	is_int(
	    status_of("GET / FTP/1.1\r\n\r\n"), 400, "other protocol refused");
	is_int(status_of("G(T / HTTP/1.1\r\n\r\n"), 400,
	    "method that is not a token refused");
	is_int(status_of("GET /a\x7f HTTP/1.1\r\n\r\n"), 400,
	    "DEL in the target refused");
	is_int(status_of("GET /a%00b HTTP/1.1\r\n\r\n"), 400,
	    "decoded NUL in the path refused");
	is_int(status_of("GET /a%2 HTTP/1.1\r\n\r\n"), 400,
	    "truncated escape refused");
	is_int(status_of("GET /a%zz HTTP/1.1\r\n\r\n"), 400,
	    "non-hex escape refused");
	is_int(status_of("GET /?a=%00 HTTP/1.1\r\n\r\n"), 400,
	    "decoded NUL in the query refused");
	is_int(status_of("GET /?a=%g1 HTTP/1.1\r\n\r\n"), 400,
	    "bad escape in the query refused");
	is_int(status_of("GET state HTTP/1.1\r\n\r\n"), 400,
	    "path not starting with '/' refused");
	is_int(status_of("GET %2Fstate HTTP/1.1\r\n\r\n"), 400,
	    "path starting with an encoded '/' is still not origin-form");
	is_int(status_of("OPTIONS * HTTP/1.1\r\n\r\n"), 400,
	    "asterisk-form refused");
	is_int(status_of("GET /images/../state HTTP/1.1\r\n\r\n"), 400,
	    "dot-dot segment refused");
	is_int(status_of("GET /images/%2e%2E/state HTTP/1.1\r\n\r\n"), 400,
	    "encoded dot-dot segment refused");
	is_int(status_of("GET /a/./b HTTP/1.1\r\n\r\n"), 400,
	    "dot segment refused");
	is_int(
	    status_of("GET /a#frag HTTP/1.1\r\n\r\n"), 400, "fragment refused");
	is_int(status_of("\r\n\r\n"), 400, "empty request line refused");
	is_int(status_of("GET /..a/b.. HTTP/1.1\r\n\r\n"), 0,
	    "dots inside names are fine");
}

static void
test_limits(void)
{
	char big[20000];
	size_t i;
	int r;
	char *s;

	/* request line longer than the head limit: 414; fields: 431 */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', sizeof(big) - 5);
	is_int(httpparse_head_len(big, sizeof(big), 0), 0,
	    "no end in a long line");
	is_int(httpparse_overflow_status(big, 16385), 414,
	    "unfinished request line: 414");
	memcpy(big, "GET / HTTP/1.1\r\nX-A: ", 21);
	is_int(httpparse_overflow_status(big, 16385), 431,
	    "unfinished fields: 431");

	/* too many fields */
	s = malloc(200 * 8 + 64);
	strcpy(s, "GET / HTTP/1.1\r\n");
	for (i = 0; i < 101; i++)
		strcat(s, "A: b\r\n");
	strcat(s, "\r\n");
	r = status_of(s);
	is_int(r, 431, "more than 100 fields: 431");
	free(s);

	/* the end of the head is found across calls */
	is_int(httpparse_head_len("GET / HTTP/1.1\r\n\r\n", 17, 0), 0,
	    "incomplete head");
	is_int(httpparse_head_len("GET / HTTP/1.1\r\n\r\n", 18, 17), 18,
	    "end split across calls found");
	is_int(httpparse_head_len("GET / HTTP/1.1\r\n\r\n", 18, 16), 18,
	    "end found when resuming before it");
}

static void
test_decode(void)
{
	char *out = NULL, allow[64];

	is_int(httpparse_decode("a%20b%2Fc+d", 11, 0, &out), 0, "decode path");
	is_str(out, "a b/c+d", "path keeps '+'");
	free(out);
	is_int(httpparse_decode("a%20b+c", 7, 1, &out), 0, "decode form");
	is_str(out, "a b c", "form turns '+' into space");
	free(out);
	is_int(httpparse_decode("%C3%A9", 6, 0, &out), 0, "UTF-8 escapes");
	is_str(out, "\xc3\xa9", "é");
	free(out);
	out = NULL;
	is_int(
	    httpparse_decode("%", 1, 0, &out), -EINVAL, "a lone percent sign");
	is_int(httpparse_decode("%4", 2, 0, &out), -EINVAL, "short escape");
	is_int(httpparse_decode("%00", 3, 0, &out), -EINVAL, "NUL escape");
	ok(out == NULL, "nothing returned on failure");
	is_int(httpparse_method_bit("DELETE"), HTTP_DELETE, "DELETE bit");
	is_int(httpparse_method_bit("get"), 0, "methods are case-sensitive");
	is_int(httpparse_method_bit("PATCH"), HTTP_PATCH, "PATCH bit");
	is_int(httpparse_method_bit("patch"), 0, "PATCH is case-sensitive too");
	http_allow_string(HTTP_GET | HTTP_PATCH, allow, sizeof(allow));
	is_str(allow, "GET, HEAD, PATCH", "Allow names PATCH");
}

/* Decodes s fed in pieces of step bytes; returns 0 and the body, or -1. */
static int
chunked(const char *s, size_t step, char *out, size_t *ret_len)
{
	struct httpparse_chunked c;
	const char *why;
	size_t len = strlen(s), off = 0, used, data;
	size_t n, o = 0;

	httpparse_chunked_init(&c, 1024);
	while (off < len && !httpparse_chunked_done(&c)) {
		n = len - off < step ? len - off : step;
		if (httpparse_chunked_feed(&c, s + off, n, &used, &data, &why) <
		    0)
			return -1;
		memcpy(out + o, s + off, data);
		o += data;
		off += used;
	}
	*ret_len = o;
	out[o] = '\0';
	return httpparse_chunked_done(&c) ? (int)(len - off) : -2;
}

static void
test_chunked(void)
{
	const char *body = "5\r\nhello\r\n7;ext=1\r\n, world\r\n"
			   "0\r\nTrailer: x\r\n\r\nNEXT";
	char out[256];
	size_t len, step;
	int good = 1;

	for (step = 1; step <= strlen(body); step++) {
		if (chunked(body, step, out, &len) != 4 ||
		    strcmp(out, "hello, world") != 0)
			good = 0;
	}
	ok(good, "chunked body decodes in pieces of any size, stops at end");
	is_int(chunked("0\r\n\r\n", 3, out, &len), 0, "empty chunked body");
	is_int(len, 0, "no data");
	is_int(chunked("A\n0123456789\n0\n\n", 100, out, &len), 0,
	    "bare LF framing, upper-case hex");
	is_str(out, "0123456789", "data");
	is_int(chunked("x\r\n", 10, out, &len), -1, "non-hex size refused");
	is_int(chunked("\r\n", 10, out, &len), -1, "empty size refused");
	is_int(chunked("5\r\nhelloXX0\r\n\r\n", 10, out, &len), -1,
	    "missing CRLF after data refused");
	is_int(chunked("1000000000000000\r\n", 100, out, &len), -1,
	    "chunk size over 60 bits refused");
	is_int(chunked("5\r\nhel", 100, out, &len), -2,
	    "truncated body is not done");
}

int
main(void)
{
	test_valid();
	test_refused();
	test_limits();
	test_decode();
	test_chunked();
	return tap_done();
}
