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
 * Parses a reply from buf.  Returns 1 with *ret filled when complete, 0 when
 * more is needed (eof == 0), -EPROTO when it is not a valid reply.
 */
int
client_parse_reply(
    const char *buf, size_t len, int eof, struct client_reply *ret)
{
	const char *end, *line, *next, *colon, *v;
	long long clen = -1;
	size_t hlen, blen, n;
	char *ep;
	int status;

	end = memmem(buf, len, "\r\n\r\n", 4);
	if (end == NULL)
		return eof || len > 65536 ? -EPROTO : 0;
	hlen = (size_t)(end - buf) + 4;
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' ||
	    buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9')
		return -EPROTO;
	status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + buf[11] - '0';
	memset(ret, 0, sizeof(*ret));
	line = memchr(buf, '\n', hlen);
	for (line = line + 1; line < end; line = next) {
		next = memchr(line, '\n', (size_t)(end + 2 - line));
		if (next == NULL)
			break;
		next++;
		/* a line ends in CRLF or a bare LF */
		n = (size_t)(next - line) - 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		colon = n > 0 ? memchr(line, ':', n) : NULL;
		if (colon == NULL) {
			client_reply_free(ret);
			return -EPROTO;
		}
		v = colon + 1;
		while (v < line + n && (*v == ' ' || *v == '\t'))
			v++;
		if ((size_t)(colon - line) == 14 &&
		    strncasecmp(line, "Content-Length", 14) == 0) {
			char tmp[24];
			size_t vl = (size_t)(line + n - v);

			if (vl == 0 || vl >= sizeof(tmp)) {
				client_reply_free(ret);
				return -EPROTO;
			}
			memcpy(tmp, v, vl);
			tmp[vl] = '\0';
			errno = 0;
			clen = strtoll(tmp, &ep, 10);
			if (*ep != '\0' || errno != 0 || clen < 0 ||
			    clen > (long long)CLIENT_MAX_REPLY) {
				client_reply_free(ret);
				return -EPROTO;
			}
		} else if ((size_t)(colon - line) == 12 &&
		    strncasecmp(line, "Content-Type", 12) == 0) {
			free(ret->content_type);
			ret->content_type = xstrndup(v, (size_t)(line + n - v));
		}
	}
	blen = len - hlen;
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
	ret->status = status;
	ret->body = xmalloc(blen + 1);
	memcpy(ret->body, buf + hlen, blen);
	ret->body[blen] = '\0';
	ret->body_len = blen;
	if (ret->content_type != NULL &&
	    strncasecmp(ret->content_type, "application/json", 16) == 0)
		ret->json = json_loadb(ret->body, blen, 0, NULL);
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

/* Milliseconds left until deadline. */
static int
client_left_ms(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/* One blocking request with a timeout. */
int
client_call(const char *socket_path, const char *method, const char *target,
    json_t *json_body, int timeout_ms, struct client_reply *ret)
{
	struct timespec deadline;
	struct pollfd pfd;
	char *req = NULL, *buf = NULL;
	size_t reqlen, off = 0, len = 0, cap = 0;
	ssize_t n;
	int fd = -1, r, eof = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	if ((r = sock_connect(socket_path, timeout_ms, &fd)) < 0)
		return r;
	if ((req = client_format(method, target, json_body, &reqlen)) == NULL) {
		r = error_set(-EINVAL, "cannot encode the request body");
		goto out;
	}
	pfd.fd = fd;
	while (off < reqlen) {
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, client_left_ms(&deadline)) <= 0) {
			r = error_set(-ETIMEDOUT,
			    "%s: no progress sending the "
			    "request",
			    socket_path);
			goto out;
		}
		n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			r = error_set(
			    -errno, "%s: %s", socket_path, strerror(errno));
			goto out;
		}
		if (n > 0)
			off += (size_t)n;
	}
	for (;;) {
		if (len + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 65536 * 2;
			if (cap > CLIENT_MAX_REPLY + 131072) {
				r = error_set(-EPROTO, "%s: reply too large",
				    socket_path);
				goto out;
			}
			buf = xreallocarray(buf, cap, 1);
		}
		r = client_parse_reply(buf ? buf : "", len, eof, ret);
		if (r != 0) {
			if (r < 0)
				error_set(r, "%s: the reply is not HTTP",
				    socket_path);
			else
				r = 0;
			goto out;
		}
		pfd.events = POLLIN;
		if (poll(&pfd, 1, client_left_ms(&deadline)) <= 0) {
			r = error_set(-ETIMEDOUT, "%s: no reply within %d ms",
			    socket_path, timeout_ms);
			goto out;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			r = error_set(
			    -errno, "%s: %s", socket_path, strerror(errno));
			goto out;
		}
		if (n == 0)
			eof = 1;
		if (n > 0)
			len += (size_t)n;
	}
out:
	free(req);
	free(buf);
	if (fd != -1)
		close(fd);
	return r;
}

struct client_async {
	struct bufferevent *bev;
	client_cb *cb;
	void *arg;
	struct event_base *base;
	struct client_async *next, **prevp; /* the in-flight list */
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
	/* errors, even an immediate refusal, reach cb through the loop */
	bufferevent_socket_connect(ca->bev, (struct sockaddr *)&sun, (int)alen);
	return 0;
}
