/*
 * client.c -- one HTTP/1.1 request to a daemon's UNIX socket, and its reply.
 *
 * Both flavours send "Connection: close" and read the reply up to its
 * Content-Length (or to the end of the stream).  The reply parser is shared
 * and fuzzed (a daemon's reply is peer input to another daemon).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "client.h"
#include "error.h"
#include "sock.h"
#include "log.h"
#include "xmalloc.h"

#define CLIENT_MAX_REPLY (64u << 20) /* a daemon reply, not a file */

/* Frees what a reply holds. */
void
client_reply_free(struct client_reply *r)
{
	if (r == NULL)
		return;
	free(r->content_type);
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/*
 * Parses the status line and headers in buf.  Returns 1 with ret->status
 * and ret->content_type set, *ret_hlen the head's length and *ret_clen the
 * Content-Length (-1 when absent); 0 when more is needed (eof == 0);
 * -EPROTO when it is not a valid reply head.
 */
int
client_parse_head(const char *buf, size_t len, int eof,
    struct client_reply *ret, size_t *ret_hlen, long long *ret_clen)
{
	const char *end, *line, *next, *colon, *v;
	long long clen = -1;
	char tmp[24], *ep;
	size_t n, vl;

	end = memmem(buf, len, "\r\n\r\n", 4);
	if (end == NULL)
		return eof || len > 65536 ? -EPROTO : 0;
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' ||
	    buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9')
		return -EPROTO;
	memset(ret, 0, sizeof(*ret));
	ret->status =
	    (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + buf[11] - '0';
	line = memchr(buf, '\n', (size_t)(end - buf) + 4);
	for (line = line + 1; line < end; line = next) {
		next = memchr(line, '\n', (size_t)(end + 2 - line));
		if (next == NULL)
			break;
		next++;
		/* a line ends in CRLF or a bare LF */
		n = (size_t)(next - line) - 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if ((colon = n > 0 ? memchr(line, ':', n) : NULL) == NULL)
			goto bad;
		v = colon + 1;
		while (v < line + n && (*v == ' ' || *v == '\t'))
			v++;
		vl = (size_t)(line + n - v);
		if ((size_t)(colon - line) == 14 &&
		    strncasecmp(line, "Content-Length", 14) == 0) {
			if (vl == 0 || vl >= sizeof(tmp))
				goto bad;
			memcpy(tmp, v, vl);
			tmp[vl] = '\0';
			errno = 0;
			clen = strtoll(tmp, &ep, 10);
			if (*ep != '\0' || errno != 0 || clen < 0)
				goto bad;
		} else if ((size_t)(colon - line) == 12 &&
		    strncasecmp(line, "Content-Type", 12) == 0) {
			free(ret->content_type);
			ret->content_type = xstrndup(v, vl);
		}
	}
	*ret_hlen = (size_t)(end - buf) + 4;
	*ret_clen = clen;
	return 1;
bad:
	client_reply_free(ret);
	return -EPROTO;
}

/* Sets a reply's body (a copy of buf) and parses it when it is JSON. */
static void
client_set_body(struct client_reply *ret, const char *buf, size_t blen)
{
	ret->body = xmalloc(blen + 1);
	memcpy(ret->body, buf, blen);
	ret->body[blen] = '\0';
	ret->body_len = blen;
	if (ret->content_type != NULL &&
	    strncasecmp(ret->content_type, "application/json", 16) == 0)
		ret->json = json_loadb(ret->body, blen, 0, NULL);
}

/*
 * Parses a reply from buf.  Returns 1 with *ret filled when complete, 0 when
 * more is needed (eof == 0), -EPROTO when it is not a valid reply.
 */
int
client_parse_reply(
    const char *buf, size_t len, int eof, struct client_reply *ret)
{
	long long clen;
	size_t hlen, blen;
	int r;

	if ((r = client_parse_head(buf, len, eof, ret, &hlen, &clen)) <= 0)
		return r;
	blen = len - hlen;
	if (clen > (long long)CLIENT_MAX_REPLY) {
		client_reply_free(ret);
		return -EPROTO;
	}
	if (clen >= 0) {
		if (blen < (size_t)clen) {
			client_reply_free(ret);
			return eof ? -EPROTO : 0;
		}
		blen = (size_t)clen;
	} else if (!eof) {
		client_reply_free(ret);
		return blen > CLIENT_MAX_REPLY ? -EPROTO : 0;
	}
	client_set_body(ret, buf + hlen, blen);
	return 1;
}

/* The request bytes. */
static char *
client_format(
    const char *method, const char *target, json_t *json_body, size_t *ret_len)
{
	char *body = NULL, *req;
	int n;

	if (json_body != NULL &&
	    (body = json_dumps(json_body, JSON_COMPACT)) == NULL)
		return NULL;
	n = xasprintf(&req,
	    "%s %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\nUser-Agent: kaputtkvm-client\r\n"
	    "%s%sContent-Length: %zu\r\n\r\n%s",
	    method, target, body ? "Content-Type: application/json\r\n" : "",
	    body ? "X-KaputtKVM: 1\r\n" : "", body ? strlen(body) : 0,
	    body ? body : "");
	free(body);
	*ret_len = (size_t)n;
	return req;
}

/*
 * Streamed calls (client_call_stream()).  Each wait is bounded by the
 * timeout (no progress), not the whole call: a gigabyte takes longer than
 * any fixed deadline.  Memory is bounded by the chunk and the head.
 */
#define CLIENT_CHUNK (256u << 10)

struct client_io {
	int fd;
	const char *path;
	int timeout_ms;		  /* for each wait */
	struct timespec deadline; /* for the whole call, when set */
	char *buf;		  /* what was read and not yet used */
	size_t len, cap;
	int eof;
};

/* The wait allowed now: timeout_ms, or less before a deadline. */
static int
client_wait_ms(const struct client_io *io)
{
	struct timespec now;
	long long ms;

	if (io->deadline.tv_sec == 0)
		return io->timeout_ms;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (io->deadline.tv_sec - now.tv_sec) * 1000LL +
	    (io->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms < io->timeout_ms ? (int)ms : io->timeout_ms;
}

/* Waits until fd is ready for events, or -ETIMEDOUT. */
static int
client_wait(struct client_io *io, short events)
{
	struct pollfd pfd = {.fd = io->fd, .events = events};
	int n;

	while ((n = poll(&pfd, 1, client_wait_ms(io))) == -1 && errno == EINTR)
		;
	if (n <= 0)
		return error_set(-ETIMEDOUT, "%s: no answer within %d ms",
		    io->path, io->timeout_ms);
	return 0;
}

/* Sends all of buf; -EPIPE or -ECONNRESET when the daemon closed. */
static int
client_send_all(struct client_io *io, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;
	int r;

	while (len > 0) {
		if ((r = client_wait(io, POLLOUT)) < 0)
			return r;
		n = send(io->fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return error_set(
			    -errno, "%s: %s", io->path, strerror(errno));
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

/* Reads more into io->buf (at most max bytes held); sets io->eof. */
static int
client_read_more(struct client_io *io, size_t max)
{
	ssize_t n;
	int r;

	if (io->len >= max)
		return error_set(-EPROTO, "%s: reply too large", io->path);
	if (io->cap < io->len + CLIENT_CHUNK + 1 && io->cap < max + 1) {
		/* grow geometrically, up to max */
		io->cap = io->len + CLIENT_CHUNK > 2 * io->cap
		    ? io->len + CLIENT_CHUNK
		    : 2 * io->cap;
		if (io->cap > max + 1)
			io->cap = max + 1;
		io->buf = xreallocarray(io->buf, io->cap, 1);
	}
	for (;;) {
		if ((r = client_wait(io, POLLIN)) < 0)
			return r;
		n = recv(io->fd, io->buf + io->len, io->cap - 1 - io->len, 0);
		if (n >= 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			return error_set(
			    -errno, "%s: %s", io->path, strerror(errno));
	}
	if (n == 0)
		io->eof = 1;
	io->len += (size_t)n;
	return 0;
}

/* Drops the first n bytes of io->buf. */
static void
client_consume(struct client_io *io, size_t n)
{
	memmove(io->buf, io->buf + n, io->len - n);
	io->len -= n;
}

/* Reads a reply head (skipping interim 1xx ones unless want_interim). */
static int
client_read_head(struct client_io *io, int want_interim,
    struct client_reply *ret, size_t *ret_hlen, long long *ret_clen)
{
	int r;

	for (;;) {
		r = client_parse_head(io->buf ? io->buf : "", io->len, io->eof,
		    ret, ret_hlen, ret_clen);
		if (r < 0)
			return error_set(
			    r, "%s: the reply is not HTTP", io->path);
		if (r == 1 && (ret->status >= 200 || want_interim))
			return 0;
		if (r == 1) {
			client_consume(io, *ret_hlen);
			client_reply_free(ret);
			continue;
		}
		if ((r = client_read_more(io, 65536 + CLIENT_CHUNK)) < 0)
			return r;
	}
}

/* Sends the request body from st->body_fd, chunk by chunk. */
static int
client_send_body(struct client_io *io, struct client_stream *st)
{
	unsigned long long sent = 0;
	char *chunk = xmalloc(CLIENT_CHUNK);
	ssize_t n;
	int r = 0;

	while (sent < st->body_len) {
		n = read(st->body_fd, chunk,
		    st->body_len - sent < CLIENT_CHUNK ? st->body_len - sent
						       : CLIENT_CHUNK);
		if (n <= 0) {
			st->local_error = 1;
			r = error_set(n ? -errno : -EIO, "%s",
			    n ? strerror(errno)
			      : "the file shrank while it was sent");
			break;
		}
		if (st->sent_cb != NULL)
			st->sent_cb(chunk, (size_t)n, st->arg);
		r = client_send_all(io, chunk, (size_t)n);
		if (r == -EPIPE || r == -ECONNRESET) {
			r = 0; /* refused midway: its answer says why */
			break;
		}
		if (r < 0)
			break;
		sent += (unsigned long long)n;
	}
	st->sent = sent;
	free(chunk);
	return r;
}

/* Writes a 2xx reply's body to st->reply_fd as it arrives. */
static int
client_recv_to_fd(struct client_io *io, struct client_stream *st,
    long long clen, struct client_reply *ret)
{
	unsigned long long got = 0;
	size_t n;
	int r;

	for (;;) {
		n = io->len;
		if (clen >= 0 && (unsigned long long)clen - got < n)
			n = (size_t)((unsigned long long)clen - got);
		if (n > 0 && write(st->reply_fd, io->buf, n) != (ssize_t)n) {
			st->local_error = 1;
			return error_set(-errno, "%s", strerror(errno));
		}
		got += n;
		io->len = 0;
		if ((clen >= 0 && got == (unsigned long long)clen) ||
		    (clen < 0 && io->eof))
			break;
		if (io->eof)
			return error_set(-EPROTO,
			    "%s: the reply broke off after %llu of %lld bytes",
			    io->path, got, clen);
		if ((r = client_read_more(io, CLIENT_CHUNK)) < 0)
			return r;
	}
	ret->body = xstrdup("");
	ret->body_len = (size_t)got;
	return 0;
}

/* The reply after the request: to st->reply_fd, or whole into ret. */
static int
client_read_reply(
    struct client_io *io, struct client_stream *st, struct client_reply *ret)
{
	long long clen;
	size_t hlen;
	int r;

	if ((r = client_read_head(io, 0, ret, &hlen, &clen)) < 0)
		return r;
	if (st->reply_fd >= 0 && ret->status / 100 == 2) {
		client_consume(io, hlen);
		return client_recv_to_fd(io, st, clen, ret);
	}
	client_reply_free(ret);
	while ((r = client_parse_reply(io->buf, io->len, io->eof, ret)) == 0)
		if ((r = client_read_more(io, CLIENT_MAX_REPLY + 65536)) < 0)
			return r;
	return r < 0 ? error_set(r, "%s: the reply is not HTTP", io->path) : 0;
}

/* The request head of a streamed call. */
static char *
client_stream_head(
    const char *method, const char *target, const struct client_stream *st)
{
	char *head;

	if (st->body_fd < 0)
		xasprintf(&head,
		    "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
		    "User-Agent: kaputtkvm-client\r\n\r\n",
		    method, target);
	else
		xasprintf(&head,
		    "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
		    "User-Agent: kaputtkvm-client\r\nX-KaputtKVM: 1\r\n"
		    "Content-Type: %s\r\nContent-Length: %llu\r\n"
		    "Expect: 100-continue\r\n\r\n",
		    method, target,
		    st->content_type ? st->content_type
				     : "application/octet-stream",
		    st->body_len);
	return head;
}

/* Sends the body once the daemon said "100 Continue". */
static int
client_stream_body(struct client_io *io, struct client_stream *st)
{
	struct client_reply interim = {0};
	long long clen;
	size_t hlen;
	int r;

	if ((r = client_read_head(io, 1, &interim, &hlen, &clen)) < 0)
		return r;
	if (interim.status == 100) {
		client_consume(io, hlen);
		r = client_send_body(io, st);
		shutdown(io->fd, SHUT_WR);
	} /* else refused before the body: the answer is in io->buf */
	client_reply_free(&interim);
	if (st->reply_timeout_ms > 0)
		io->timeout_ms = st->reply_timeout_ms;
	return r;
}

/* One streamed request (client.h). */
int
client_call_stream(const char *socket_path, const char *method,
    const char *target, struct client_stream *st, int timeout_ms,
    struct client_reply *ret)
{
	struct client_io io = {.fd = -1, .path = socket_path};
	char *head;
	int r;

	memset(ret, 0, sizeof(*ret));
	st->sent = 0;
	st->local_error = 0;
	io.timeout_ms = timeout_ms;
	if ((r = sock_connect(socket_path, timeout_ms, &io.fd)) < 0)
		return r;
	head = client_stream_head(method, target, st);
	r = client_send_all(&io, head, strlen(head));
	free(head);
	if (r == 0 && st->body_fd >= 0)
		r = client_stream_body(&io, st);
	if (r == 0)
		r = client_read_reply(&io, st, ret);
	if (r < 0)
		client_reply_free(ret);
	free(io.buf);
	close(io.fd);
	return r;
}

/* One blocking request with a timeout for the whole call. */
int
client_call(const char *socket_path, const char *method, const char *target,
    json_t *json_body, int timeout_ms, struct client_reply *ret)
{
	struct client_stream st = {.body_fd = -1, .reply_fd = -1};
	struct client_io io = {.fd = -1, .path = socket_path};
	size_t reqlen;
	char *req;
	int r;

	memset(ret, 0, sizeof(*ret));
	io.timeout_ms = timeout_ms;
	clock_gettime(CLOCK_MONOTONIC, &io.deadline);
	io.deadline.tv_sec += timeout_ms / 1000;
	io.deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (io.deadline.tv_nsec >= 1000000000L) {
		io.deadline.tv_sec++;
		io.deadline.tv_nsec -= 1000000000L;
	}
	if ((req = client_format(method, target, json_body, &reqlen)) == NULL)
		return error_set(-EINVAL, "cannot encode the request body");
	if ((r = sock_connect(socket_path, timeout_ms, &io.fd)) == 0 &&
	    (r = client_send_all(&io, req, reqlen)) == 0)
		r = client_read_reply(&io, &st, ret);
	if (r < 0)
		client_reply_free(ret);
	free(req);
	free(io.buf);
	if (io.fd != -1)
		close(io.fd);
	return r;
}

struct client_async {
	struct bufferevent *bev;
	client_cb *cb;
	void *arg;
	struct event_base *base;
	struct client_async *next, **prevp; /* the in-flight list */
	struct event *failed; /* a connect that failed at once: its callback */
	int err;
	char *path; /* the socket, for the error's message */
};

/* Calls in flight, so a daemon that stops can free them (loop thread only). */
static struct client_async *client_inflight;

/* Frees one async call's resources and unlinks it. */
static void
client_async_free(struct client_async *ca)
{
	if ((*ca->prevp = ca->next) != NULL)
		ca->next->prevp = ca->prevp;
	bufferevent_free(ca->bev);
	if (ca->failed != NULL)
		event_free(ca->failed);
	free(ca->path);
	free(ca);
}

/* Drops every call still in flight on base without calling back. */
void
client_cancel_all(struct event_base *base)
{
	struct client_async *ca, *next;

	for (ca = client_inflight; ca != NULL; ca = next) {
		next = ca->next;
		if (ca->base == base)
			client_async_free(ca);
	}
}

/* Finishes an async call once: reply or error to the callback. */
static void
client_async_finish(struct client_async *ca, int eof, int err)
{
	struct client_reply reply = {0};
	struct evbuffer *in = bufferevent_get_input(ca->bev);
	size_t len = evbuffer_get_length(in);
	int r;

	if (err == 0) {
		r = client_parse_reply(
		    (const char *)evbuffer_pullup(in, -1), len, eof, &reply);
		if (r == 0)
			return; /* need more */
	} else
		r = err;
	if (r < 0) /* the callback's error_get() says what went wrong */
		error_set(r, "%s: %s", ca->path,
		    err == 0		    ? "the reply is not HTTP"
			: err == -ETIMEDOUT ? "no answer in time"
					    : strerror(-err));
	ca->cb(r < 0 ? r : 0, r < 0 ? NULL : &reply, ca->arg);
	client_reply_free(&reply);
	client_async_free(ca);
}

/* More of the reply arrived: finish if it is whole. */
static void
client_async_read_cb(struct bufferevent *bev, void *arg)
{
	client_async_finish(arg, 0, 0);
}

/* Connected, closed, timed out or failed. */
static void
client_async_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF)
		client_async_finish(arg, 1, 0);
	else if (what & BEV_EVENT_TIMEOUT)
		client_async_finish(arg, 0, -ETIMEDOUT);
	else
		client_async_finish(arg, 0, -ECONNREFUSED);
}

/* The connect failed before the call returned: the callback, on the loop. */
static void
client_async_failed(evutil_socket_t fd, short what, void *arg)
{
	struct client_async *ca = arg;

	client_async_finish(ca, 0, ca->err);
}

/* One request on an event loop; cb runs exactly once (never from here). */
int
client_call_async(struct event_base *base, const char *socket_path,
    const char *method, const char *target, json_t *json_body, int timeout_ms,
    client_cb *cb, void *arg)
{
	struct sockaddr_un sun;
	struct client_async *ca;
	struct timeval tv;
	size_t alen, reqlen;
	char *req;
	int r;

	if ((r = sock_addr(socket_path, &sun, &alen)) < 0)
		return r;
	if ((req = client_format(method, target, json_body, &reqlen)) == NULL)
		return error_set(-EINVAL, "cannot encode the request body");
	ca = xcalloc(1, sizeof(*ca));
	ca->cb = cb;
	ca->arg = arg;
	ca->base = base;
	ca->path = xstrdup(socket_path);
	if ((ca->next = client_inflight) != NULL)
		ca->next->prevp = &ca->next;
	client_inflight = ca;
	ca->prevp = &client_inflight;
	ca->bev = bufferevent_socket_new(
	    base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (ca->bev == NULL)
		xmalloc_fatal("a client connection's bufferevent");
	bufferevent_setcb(
	    ca->bev, client_async_read_cb, NULL, client_async_event_cb, ca);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	bufferevent_set_timeouts(ca->bev, &tv, &tv);
	bufferevent_write(ca->bev, req, reqlen);
	free(req);
	bufferevent_enable(ca->bev, EV_READ | EV_WRITE);
	/* errors, even an immediate refusal, reach cb through the loop; a
	 * path where no socket is (ENOENT) libevent reports only here */
	if (bufferevent_socket_connect(
		ca->bev, (struct sockaddr *)&sun, (int)alen) < 0) {
		ca->err = errno > 0 ? -errno : -ECONNREFUSED;
		if ((ca->failed = event_new(
			 base, -1, 0, client_async_failed, ca)) == NULL)
			xmalloc_fatal("a client call's event");
		event_active(ca->failed, EV_TIMEOUT, 0);
	}
	return 0;
}
