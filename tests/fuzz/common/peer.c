/*
 * peer.c -- one connection's worth of input to a daemon, and the check of
 * what came back (see peer.h).
 *
 * The loop is the daemon's own event loop, run from here a step at a time:
 * each step waits at most a millisecond, so threads (encoders, the upload
 * writer) and timers (paste, pulses) get to finish what the requests
 * started, while a stream that never ends costs at most max_ms.
 *
 * Replies are parsed after the connection is done.  Whole replies carry
 * Content-Length; a HEAD reply carries it without the body, and as the
 * requests are not parsed here, a reply whose body does not fit before the
 * next reply is taken as a HEAD reply when the next reply starts right after
 * its head.  A reply without Content-Length (a stream) owns the rest of
 * the connection; after a 101 the rest is WebSocket frames, checked as such.
 * With PEER_ENVELOPE_REDFISH, a whole reply that carries OData-Version
 * (redfishd_send() gives every Redfish reply one) is checked against
 * Redfish's format, and any other as the project's envelope.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "peer.h"

#define PEER_MAX_OUT (4u << 20) /* reply bytes kept for the check */

/* What the daemon sent. */
struct peer_out {
	char *buf;
	size_t len, cap;
	int truncated; /* more came than PEER_MAX_OUT */
	int eof;
};

/* Fails the input: the reason, then the reply it is about. */
static void __attribute__((noreturn))
peer_fail(const char *why, const char *at, size_t len)
{
	fprintf(stderr, "peer: bad reply: %s\n--- reply ---\n%.*s\n---\n", why,
	    (int)(len > 2048 ? 2048 : len), at);
	abort();
}

static long long
peer_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
peer_tick(evutil_socket_t fd, short what, void *arg)
{
}

/* Reads what is there; 1 if something came. */
static int
peer_read(int fd, struct peer_out *o)
{
	char buf[65536];
	ssize_t n;
	int got = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		got = 1;
		if (o->len + (size_t)n > PEER_MAX_OUT) {
			o->truncated = 1;
			continue;
		}
		if (o->len + (size_t)n > o->cap) {
			o->cap = o->cap ? o->cap * 2 : 65536;
			while (o->cap < o->len + (size_t)n)
				o->cap *= 2;
			if ((o->buf = realloc(o->buf, o->cap)) == NULL)
				abort();
		}
		memcpy(o->buf + o->len, buf, (size_t)n);
		o->len += (size_t)n;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		o->eof = 1;
	return got;
}

/* Runs the loop until the replies settle, the peer is gone or max_ms. */
static void
peer_phase(const struct peer_daemon *pd, struct event *tick, int fd,
    const uint8_t *data, size_t size, size_t *sent, struct peer_out *o)
{
	const struct timeval ms = {0, 1000};
	long long start = peer_now_ms(), last = start, now;
	ssize_t n;
	int progress;

	while (!o->eof) {
		progress = 0;
		if (*sent < size) {
			n = write(fd, data + *sent, size - *sent);
			if (n > 0) {
				*sent += (size_t)n;
				progress = 1;
			} else if (n < 0 && errno != EAGAIN)
				*sent = size; /* the daemon closed */
		}
		evtimer_add(tick, &ms);
		event_base_loop(pd->base, EVLOOP_ONCE);
		event_base_loop(pd->base, EVLOOP_NONBLOCK);
		if (peer_read(fd, o))
			progress = 1;
		now = peer_now_ms();
		if (progress || (pd->busy != NULL && pd->busy(pd->arg)))
			last = now;
		if (now - last >= pd->settle_ms || now - start >= pd->max_ms)
			break;
	}
	evtimer_del(tick);
}

/* Whether the envelope's code goes with the status: written out again
 * here, apart from common/error.c's table, so that a wrong row there is
 * caught (mediad's 416 is its own). */
static int
peer_code_fits(int status, const char *code)
{
	static const struct {
		int status;
		const char *code;
	} codes[] = {
	    {400, "invalid"},
	    {401, "unauthorized"}, /* redfishd's /auth/token */
	    {403, "forbidden"},
	    {404, "not_found"},
	    {405, "method_not_allowed"},
	    {408, "timeout"},
	    {409, "busy"},
	    {409, "exists"},
	    {413, "too_large"},
	    {414, "invalid"},
	    {416, "invalid"}, /* mediad: a Range outside the image */
	    {417, "invalid"},
	    {431, "too_large"},
	    {500, "internal"},
	    {501, "not_supported"},
	    {503, "unavailable"},
	    {504, "timeout"},
	    {505, "not_supported"},
	    {507, "no_space"},
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].status == status &&
		    strcmp(codes[i].code, code) == 0)
			return 1;
	return 0;
}

/* A JSON body, parsed (a new reference), or the failure. */
static json_t *
peer_parse_json(const char *body, size_t len, const char *at, size_t atlen)
{
	json_error_t jerr;
	json_t *v;
	char why[256];

	/* jansson refuses invalid UTF-8, as a browser's JSON.parse would
	 * garble it */
	if ((v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		snprintf(why, sizeof(why), "JSON body does not parse: %s",
		    jerr.text);
		peer_fail(why, at, atlen);
	}
	return v;
}

/* A JSON body: the envelope, with the status. */
static void
peer_check_json(
    int status, const char *body, size_t len, const char *at, size_t atlen)
{
	json_t *v, *ok, *err, *code, *msg;

	v = peer_parse_json(body, len, at, atlen);
	if (!json_is_object(v) ||
	    !json_is_boolean(ok = json_object_get(v, "ok")))
		peer_fail("JSON body without \"ok\"", at, atlen);
	if (json_is_true(ok)) {
		if (status < 200 || status > 299)
			peer_fail(
			    "\"ok\": true with a non-2xx status", at, atlen);
		if (json_object_get(v, "result") == NULL ||
		    json_object_size(v) != 2)
			peer_fail(
			    "success envelope is not {ok, result}", at, atlen);
	} else {
		err = json_object_get(v, "error");
		if (status < 400 || json_object_size(v) != 2 ||
		    !json_is_object(err) || json_object_size(err) != 2 ||
		    !json_is_string(code = json_object_get(err, "code")) ||
		    !json_is_string(msg = json_object_get(err, "message")))
			peer_fail("error envelope is not {ok: false, error: "
				  "{code, message}} with a 4xx/5xx status",
			    at, atlen);
		if (!peer_code_fits(status, json_string_value(code)))
			peer_fail("error code does not go with the status", at,
			    atlen);
		if (json_string_length(msg) == 0)
			peer_fail("error without a message", at, atlen);
	}
	json_decref(v);
}

/* A text body (/metrics): valid UTF-8. */
static void
peer_check_text(const char *body, size_t len, const char *at, size_t atlen)
{
	json_t *v;

	/* jansson takes only valid UTF-8 */
	if ((v = json_stringn(body, len)) == NULL)
		peer_fail("a text body that is not UTF-8", at, atlen);
	json_decref(v);
}

/* The value of a header in a head (NUL-terminated copy), or NULL. */
static char *
peer_header(
    const char *head, size_t len, const char *name, char *out, size_t outlen)
{
	const char *p = memchr(head, '\n', len), *end = head + len, *e;
	size_t nl = strlen(name);

	while (p != NULL && ++p < end) {
		if ((e = memchr(p, '\r', (size_t)(end - p))) == NULL)
			break;
		if ((size_t)(e - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			p += nl + 1;
			while (p < e && *p == ' ')
				p++;
			snprintf(out, outlen, "%.*s", (int)(e - p), p);
			return out;
		}
		p = e + 1;
	}
	return NULL;
}

/* Frames the daemon sends after a 101 (hidd's /ws, hidd/PROTOCOL.md):
 * unmasked; each text message a JSON object with "t", an error one with
 * {"code", "message"}; a close frame's reason valid UTF-8. */
static void
peer_check_ws(const char *p, size_t left)
{
	const unsigned char *u;
	json_t *v, *err;
	uint64_t len;
	size_t hl;
	int op;

	while (left >= 2) {
		u = (const unsigned char *)p;
		op = u[0] & 0x0f;
		if (u[1] & 0x80)
			peer_fail("a masked frame from the server", p, left);
		len = u[1] & 0x7f;
		hl = 2;
		if (len == 126) {
			if (left < 4)
				return;
			len = (uint64_t)u[2] << 8 | u[3];
			hl = 4;
		} else if (len == 127) {
			if (left < 10)
				return;
			for (len = 0, hl = 2; hl < 10; hl++)
				len = len << 8 | u[hl];
		}
		if (len > left - hl)
			return; /* cut by the end of the run */
		if ((op >= 3 && op <= 7) || op > 10)
			peer_fail("a frame with a reserved opcode", p, left);
		if (op == 1 && (u[0] & 0x80)) {
			v = json_loadb(p + hl, (size_t)len, 0, NULL);
			if (!json_is_object(v) ||
			    !json_is_string(json_object_get(v, "t")))
				peer_fail("a WebSocket message that is not a "
					  "JSON object with \"t\"",
				    p, hl + (size_t)len);
			if (json_is_false(json_object_get(v, "ok")) &&
			    (!json_is_object(
				 err = json_object_get(v, "error")) ||
				!json_is_string(json_object_get(err, "code")) ||
				!json_is_string(
				    json_object_get(err, "message"))))
				peer_fail("a WebSocket error without {code, "
					  "message}",
				    p, hl + (size_t)len);
			json_decref(v);
		}
		if (op == 8 && len > 2) {
			/* jansson takes only valid UTF-8 */
			if ((v = json_stringn(p + hl + 2, (size_t)len - 2)) ==
			    NULL)
				peer_fail("a close reason that is not UTF-8", p,
				    hl + (size_t)len);
			json_decref(v);
		}
		p += hl + (size_t)len;
		left -= hl + (size_t)len;
	}
}

/* One whole reply's Content-Type and body (NULL: a HEAD reply) against
 * the project's envelope. */
static void
peer_check_kvm(int status, const char *head, size_t hlen, const char *ct,
    const char *body, size_t len)
{
	char why[128];

	if (status >= 400 && strcmp(ct, "application/json") != 0) {
		snprintf(why, sizeof(why),
		    "a %d reply that is not application/json", status);
		peer_fail(why, head, hlen);
	}
	if (body != NULL && strcmp(ct, "application/json") == 0)
		peer_check_json(status, body, len, head, hlen + len);
	if (body != NULL && strncmp(ct, "text/", 5) == 0)
		peer_check_text(body, len, head, hlen);
}

/* A Redfish error: {"error": {"code", "message", "@Message.ExtendedInfo":
 * [{"MessageId", ...}, ...]}} with a message (DSP0266, "Error
 * responses"). */
static void
peer_check_redfish_error(const json_t *v, const char *at, size_t atlen)
{
	const json_t *err = json_object_get(v, "error"), *msg, *info, *m;
	size_t i;

	if (json_object_size(v) != 1 || !json_is_object(err) ||
	    !json_is_string(json_object_get(err, "code")) ||
	    !json_is_string(msg = json_object_get(err, "message")))
		peer_fail("a Redfish error that is not {\"error\": {code, "
			  "message, ...}}",
		    at, atlen);
	if (json_string_length(msg) == 0)
		peer_fail("a Redfish error without a message", at, atlen);
	info = json_object_get(err, "@Message.ExtendedInfo");
	if (!json_is_array(info) || json_array_size(info) == 0)
		peer_fail(
		    "a Redfish error without @Message.ExtendedInfo", at, atlen);
	json_array_foreach(info, i, m)
	{
		if (!json_is_object(m) ||
		    !json_is_string(json_object_get(m, "MessageId")))
			peer_fail("an @Message.ExtendedInfo entry without a "
				  "MessageId",
			    at, atlen);
	}
}

/* A 2xx Redfish JSON body: a resource, with @odata.id and @odata.type
 * (and @odata.etag as in the ETag header, if that is sent), or one of the
 * two documents that have no id: the version document {"v1": ...} at
 * /redfish and the OData service document {"@odata.context", "value"}
 * (each with its @odata.etag).
 * A 201 is a login: Location is the new session's @odata.id and
 * X-Auth-Token its token (64 hex digits). */
static void
peer_check_redfish_resource(
    int status, const json_t *v, const char *head, size_t hlen, size_t atlen)
{
	const json_t *id = json_object_get(v, "@odata.id");
	const char *etag;
	char hv[128];
	size_t n;

	if (!json_is_object(v))
		peer_fail("a Redfish resource that is not a JSON object", head,
		    atlen);
	etag = json_string_value(json_object_get(v, "@odata.etag"));
	if (id == NULL) {
		n = json_object_size(v) - (etag != NULL);
		if ((n == 1 && json_is_string(json_object_get(v, "v1"))) ||
		    (n == 2 &&
			json_is_string(json_object_get(v, "@odata.context")) &&
			json_is_array(json_object_get(v, "value"))))
			return;
		peer_fail("a Redfish resource without @odata.id", head, atlen);
	}
	if (!json_is_string(id) || json_string_value(id)[0] != '/' ||
	    !json_is_string(json_object_get(v, "@odata.type")))
		peer_fail("a Redfish resource whose @odata.id or @odata.type "
			  "is not a string (a path for the id)",
		    head, atlen);
	if (peer_header(head, hlen, "ETag", hv, sizeof(hv)) &&
	    (etag == NULL || strcmp(hv, etag) != 0))
		peer_fail("the ETag header is not the resource's @odata.etag",
		    head, atlen);
	if (status != 201)
		return;
	if (!peer_header(head, hlen, "Location", hv, sizeof(hv)) ||
	    strcmp(hv, json_string_value(id)) != 0)
		peer_fail("a 201 whose Location is not the new resource's "
			  "@odata.id",
		    head, atlen);
	if (!peer_header(head, hlen, "X-Auth-Token", hv, sizeof(hv)) ||
	    strlen(hv) != 64 || strspn(hv, "0123456789abcdef") != 64)
		peer_fail("a login's 201 without an X-Auth-Token of 64 hex "
			  "digits",
		    head, atlen);
}

/* One whole Redfish reply (it has OData-Version): its headers, its
 * Content-Type and body (NULL: a HEAD reply). */
static void
peer_check_redfish(int status, const char *head, size_t hlen, const char *ct,
    const char *odata_version, const char *body, size_t len)
{
	static const char json[] = "application/json; charset=utf-8";
	static const char xml[] = "application/xml; charset=utf-8";
	size_t atlen = hlen + (body != NULL ? len : 0);
	char allow[128], why[128];
	json_t *v;

	if (strcmp(odata_version, "4.0") != 0)
		peer_fail("OData-Version is not 4.0", head, hlen);
	if (status < 200 || (status >= 300 && status < 400))
		peer_fail(
		    "a Redfish reply that is not 2xx, 4xx or 5xx", head, hlen);
	if (status == 405 &&
	    (!peer_header(head, hlen, "Allow", allow, sizeof(allow)) ||
		allow[0] == '\0'))
		peer_fail("a 405 without Allow", head, hlen);
	if (status >= 400 && strcmp(ct, json) != 0) {
		snprintf(why, sizeof(why), "a Redfish %d reply that is not %s",
		    status, json);
		peer_fail(why, head, hlen);
	}
	if (status == 204 && len != 0)
		peer_fail("a 204 with a body", head, hlen);
	if (body == NULL || len == 0)
		return;
	if (strcmp(ct, xml) == 0) {
		/* $metadata: a CSDL document, UTF-8 as it says */
		if (status != 200 || len < 5 || memcmp(body, "<?xml", 5) != 0)
			peer_fail("an XML reply that is not a 200 with an XML "
				  "document",
			    head, atlen);
		peer_check_text(body, len, head, atlen);
		return;
	}
	if (strcmp(ct, json) != 0)
		peer_fail(
		    "a Redfish reply with a body that is neither JSON nor "
		    "$metadata's XML",
		    head, atlen);
	v = peer_parse_json(body, len, head, atlen);
	if (status >= 400)
		peer_check_redfish_error(v, head, atlen);
	else
		peer_check_redfish_resource(status, v, head, hlen, atlen);
	json_decref(v);
}

/* Checks the replies in o (see the top of the file). */
static void
peer_check(const struct peer_out *o, enum peer_envelope envelope)
{
	const char *b = o->buf, *p, *head_end, *body;
	size_t pos = 0, left, hlen, i;
	char cl[64], ct[128], ov[16];
	long long clen;
	int status, head_only;

	while (pos < o->len) {
		p = b + pos;
		left = o->len - pos;
		if (memcmp(p, "HTTP/1.1 ", left < 9 ? left : 9) != 0)
			peer_fail("does not start with \"HTTP/1.1 \"", p, left);
		if (left < 13)
			return; /* cut by the end of the run */
		head_end = memmem(p, left, "\r\n\r\n", 4);
		if (head_end == NULL)
			return; /* still coming when the run ended */
		hlen = (size_t)(head_end - p) + 4;
		for (i = 0; i < hlen; i++)
			if (((unsigned char)p[i] < 0x20 && p[i] != '\r' &&
				p[i] != '\n' && p[i] != '\t') ||
			    (unsigned char)p[i] > 0x7e)
				peer_fail("head has a byte that is not "
					  "printable ASCII",
				    p, hlen);
		if (p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
		    p[11] < '0' || p[11] > '9' || p[12] != ' ')
			peer_fail("bad status code", p, hlen);
		status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + p[11] - '0';
		if (status == 101) {
			peer_check_ws(p + hlen, left - hlen);
			return;
		}
		if (status == 100) {
			pos += hlen;
			continue;
		}
		if (peer_header(p, hlen, "Transfer-Encoding", ct, sizeof(ct)))
			peer_fail("Transfer-Encoding in a reply", p, hlen);
		if (!peer_header(p, hlen, "Cache-Control", ct, sizeof(ct)) ||
		    strcmp(ct, "no-store") != 0)
			peer_fail("no Cache-Control: no-store", p, hlen);
		if (!peer_header(p, hlen, "Content-Length", cl, sizeof(cl))) {
			if (status < 200 || status >= 300)
				peer_fail("an error reply without "
					  "Content-Length",
				    p, hlen);
			return; /* a stream: the rest is its body */
		}
		clen = strtoll(cl, NULL, 10);
		if (clen < 0 || strspn(cl, "0123456789") != strlen(cl))
			peer_fail("bad Content-Length", p, hlen);
		body = p + hlen;
		left -= hlen;
		/* a body that fits and is followed by the next reply (or the
		 * end), else a HEAD reply followed by the next reply */
		head_only = 0;
		if ((size_t)clen > left) {
			if (left >= 9 && memcmp(body, "HTTP/1.1 ", 9) == 0)
				head_only = 1;
			else
				return; /* cut by the end of the run */
		} else if ((size_t)clen < left &&
		    (left - (size_t)clen < 9
			    ? memcmp(body + clen, "HTTP/1.1 ",
				  left - (size_t)clen) != 0
			    : memcmp(body + clen, "HTTP/1.1 ", 9) != 0)) {
			if (left >= 9 && memcmp(body, "HTTP/1.1 ", 9) == 0)
				head_only = 1;
			else
				peer_fail("bytes after the body that are not "
					  "a reply",
				    p, hlen + left);
		}
		if (clen == 0)
			head_only = 0;
		if (!peer_header(p, hlen, "Content-Type", ct, sizeof(ct)))
			ct[0] = '\0';
		if (envelope == PEER_ENVELOPE_REDFISH &&
		    peer_header(p, hlen, "OData-Version", ov, sizeof(ov)))
			peer_check_redfish(status, p, hlen, ct, ov,
			    head_only ? NULL : body, (size_t)clen);
		else
			peer_check_kvm(status, p, hlen, ct,
			    head_only ? NULL : body, (size_t)clen);
		pos += hlen + (head_only ? 0 : (size_t)clen);
	}
}

void
peer_run(const struct peer_daemon *pd, const uint8_t *data, size_t size)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct peer_out o = {NULL, 0, 0, 0, 0};
	struct event *tick;
	size_t sent = 0;
	int fd;

	if (strlen(pd->path) >= sizeof(sun.sun_path))
		abort();
	strcpy(sun.sun_path, pd->path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("peer: connect");
		abort();
	}
	if ((tick = evtimer_new(pd->base, peer_tick, NULL)) == NULL)
		abort();
	peer_phase(pd, tick, fd, data, size, &sent, &o);
	if (pd->stop != NULL) {
		pd->stop(pd->arg);
		if (!o.eof)
			peer_phase(pd, tick, fd, data, size, &sent, &o);
	}
	if (!o.eof) {
		shutdown(fd, SHUT_WR);
		peer_phase(pd, tick, fd, data, size, &sent, &o);
	}
	close(fd);
	/* the daemon sees the close */
	event_base_loop(pd->base, EVLOOP_NONBLOCK);
	event_free(tick);
	if (getenv("PEER_DUMP") != NULL) { /* to see what a seed reaches */
		fprintf(stderr, "--- %zu reply bytes%s ---\n", o.len,
		    o.truncated ? " (more not kept)" : "");
		fwrite(o.buf, 1, o.len, stderr);
		fprintf(stderr, "\n---\n");
	}
	peer_check(&o, pd->envelope);
	free(o.buf);
}

static char peer_dir[64];

static int
peer_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void
peer_rm_tmpdir(void)
{
	nftw(peer_dir, peer_rm, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(peer_dir);
}

const char *
peer_tmpdir(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	if (peer_dir[0] != '\0')
		return peer_dir;
	snprintf(peer_dir, sizeof(peer_dir), "%s/kvm-fuzz-XXXXXX", base);
	if (mkdtemp(peer_dir) == NULL) {
		perror("peer: mkdtemp");
		abort();
	}
	atexit(peer_rm_tmpdir);
	return peer_dir;
}

void
peer_empty_dir(const char *path)
{
	nftw(path, peer_rm, 16, FTW_DEPTH | FTW_PHYS);
}

void
peer_write_file(const char *path, const void *data, size_t len)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
		-1 ||
	    write(fd, data, len) != (ssize_t)len || close(fd) == -1) {
		perror(path);
		abort();
	}
}
