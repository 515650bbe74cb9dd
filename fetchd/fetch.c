/*
 * fetch.c -- libcurl on the event loop, feeding mediad's streamed upload.
 *
 * One fetcher holds a curl multi handle whose sockets and timer are
 * libevent events (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION).  Each
 * fetch runs one curl transfer per attempt: the first from byte 0, each
 * resume from the bytes already passed on (CURLOPT_RESUME_FROM_LARGE sends
 * Range).  The upload to mediad opens with the first body byte, once the
 * server's Content-Length is known, and outlives the attempts.
 *
 * Transfers are limited to http and https, also after a redirect
 * (CURLOPT_PROTOCOLS_STR, CURLOPT_REDIR_PROTOCOLS_STR), redirects are
 * bounded, TLS is verified (against ca-file when given), and a server
 * silent for stall-timeout seconds counts as a dropped connection.
 * Content encodings are not asked for: the bytes stored are the bytes
 * served.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "client.h"
#include "error.h"
#include "fetch.h"
#include "log.h"
#include "name.h"
#include "request.h"
#include "xmalloc.h"

#define FETCH_MAX_RUNNING  4
#define FETCH_MAX_FINISHED 16
#define FETCH_HIGH_WATER   (4u << 20) /* pause curl above this for mediad */
#define FETCH_LOW_WATER	   (1u << 20)

enum fetch_phase {
	FETCH_CONNECTING, /* no body byte yet */
	FETCH_FETCHING,
	FETCH_RETRYING, /* waiting to resume */
	FETCH_STORING,	/* all bytes passed on; mediad fsyncs and names */
	FETCH_DONE,
	FETCH_FAILED,
	FETCH_CANCELLED,
};

static const char *const fetch_phase_names[] = {"connecting", "fetching",
    "retrying", "storing", "done", "failed", "cancelled"};

struct fetch {
	TAILQ_ENTRY(fetch) entry;
	struct fetcher *f;
	char *name, *url, *shown;
	char expect[65]; /* "" for none */
	int overwrite;
	enum fetch_phase phase;
	CURL *easy;		 /* the running attempt, or NULL */
	struct bufferevent *bev; /* the upload to mediad, once started */
	struct event *retry_ev;
	int paused;
	long long length; /* -1 until known */
	long long received;
	long long from;	    /* where this attempt started */
	int range_checked;  /* this attempt's 206 was checked */
	long long cr_first; /* this response's Content-Range, -1 if none */
	long long cr_total;
	long attempts;
	double started, ended;
	char sha256[65];
	char errbuf[CURL_ERROR_SIZE];
	char error[768];
};

TAILQ_HEAD(fetch_list, fetch);

struct fetcher {
	struct event_base *base;
	struct fetch_config cfg;
	CURLM *multi;
	struct event *timer;
	struct fetch_list fetches;
};

static void fetch_check_done(struct fetcher *);
static void fetch_attempt(struct fetch *);

static double
fetch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- the URL and header rules (pure) --- */

int
fetch_url_check(const char *url, char **ret_shown)
{
	CURLU *u;
	CURLUcode uc;
	char *scheme = NULL, *host = NULL, *shown = NULL;
	int r = 0;

	if ((u = curl_url()) == NULL)
		xmalloc_fatal("fetch");
	if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		r = error_set(-EINVAL,
		    "\"%.200s\" is not a URL this KVM can fetch: %s (give http://HOST/PATH or https://HOST/PATH)",
		    url, curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		r = error_set(-EINVAL,
		    "only http:// and https:// URLs are fetched, not %s:// (\"%.200s\")",
		    scheme != NULL ? scheme : "?", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0') {
		r = error_set(-EINVAL, "the URL \"%.200s\" names no host", url);
		goto out;
	}
	if (ret_shown != NULL) {
		curl_url_set(u, CURLUPART_USER, NULL, 0);
		curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
		if (curl_url_get(u, CURLUPART_URL, &shown, 0) != CURLUE_OK)
			xmalloc_fatal("fetch");
		*ret_shown = xstrdup(shown);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(shown);
	curl_url_cleanup(u);
	return r;
}

/* A decimal number of up to 18 digits at *p; advances p. */
static int
fetch_number(const char **p, long long *ret)
{
	long long v = 0;
	int n = 0;

	while (isdigit((unsigned char)**p) && n < 18) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n == 0 || isdigit((unsigned char)**p))
		return -EINVAL;
	*ret = v;
	return 0;
}

int
fetch_content_range(const char *value, long long *ret_first,
    long long *ret_last, long long *ret_total)
{
	const char *p = value;
	long long first, last, total;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "bytes", 5) != 0)
		return -EINVAL;
	p += 5;
	while (*p == ' ')
		p++;
	if (fetch_number(&p, &first) < 0 || *p++ != '-' ||
	    fetch_number(&p, &last) < 0 || *p++ != '/' ||
	    fetch_number(&p, &total) < 0)
		return -EINVAL;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p != '\0' || first > last || last >= total)
		return -EINVAL;
	*ret_first = first;
	*ret_last = last;
	*ret_total = total;
	return 0;
}

/* --- finishing --- */

/* Stop the running attempt (not from inside a curl callback). */
static void
fetch_stop_attempt(struct fetch *fe)
{
	if (fe->easy != NULL) {
		curl_multi_remove_handle(fe->f->multi, fe->easy);
		curl_easy_cleanup(fe->easy);
		fe->easy = NULL;
	}
	if (fe->retry_ev != NULL)
		event_del(fe->retry_ev);
}

static void
fetch_free(struct fetch *fe)
{
	fetch_stop_attempt(fe);
	if (fe->bev != NULL)
		bufferevent_free(fe->bev);
	if (fe->retry_ev != NULL)
		event_free(fe->retry_ev);
	free(fe->name);
	free(fe->url);
	free(fe->shown);
	free(fe);
}

/* Keep only the last FETCH_MAX_FINISHED finished fetches. */
static void
fetch_trim(struct fetcher *f)
{
	struct fetch *fe, *next;
	int n = 0;

	TAILQ_FOREACH(fe, &f->fetches, entry)
	n += fe->phase >= FETCH_DONE;
	for (fe = TAILQ_FIRST(&f->fetches);
	     fe != NULL && n > FETCH_MAX_FINISHED; fe = next) {
		next = TAILQ_NEXT(fe, entry);
		if (fe->phase >= FETCH_DONE) {
			TAILQ_REMOVE(&f->fetches, fe, entry);
			fetch_free(fe);
			n--;
		}
	}
}

/* The end of a fetch: the upload to mediad is closed (an unfinished one is
 * dropped by mediad), the transfer stopped unless curl still runs it (it
 * is cleaned up when it reports done). */
static void
fetch_end(struct fetch *fe, enum fetch_phase phase, const char *msg)
{
	if (fe->phase >= FETCH_DONE)
		return;
	fe->phase = phase;
	fe->ended = fetch_now();
	if (msg != NULL)
		snprintf(fe->error, sizeof(fe->error), "%s", msg);
	if (fe->bev != NULL) {
		bufferevent_free(fe->bev);
		fe->bev = NULL;
	}
	if (phase == FETCH_DONE)
		log_info("fetched %s as '%s' (%lld bytes, sha256 %s)",
		    fe->shown, fe->name, fe->received, fe->sha256);
	else
		log_warnx("fetch of %s as '%s' %s: %s", fe->shown, fe->name,
		    fetch_phase_names[phase], fe->error);
}

/* --- the upload to mediad --- */

/* mediad's answer: the image is stored, or why not. */
static void
fetch_mediad_reply(struct fetch *fe, struct client_reply *rep)
{
	json_t *res = json_object_get(rep->json, "result");
	json_t *err = json_object_get(rep->json, "error");
	const char *msg = json_string_value(json_object_get(err, "message"));
	const char *sha = json_string_value(json_object_get(res, "sha256"));
	char buf[600];

	fetch_stop_attempt(fe);
	if (rep->status == 200 && sha != NULL && fe->received == fe->length) {
		snprintf(fe->sha256, sizeof(fe->sha256), "%s", sha);
		fetch_end(fe, FETCH_DONE, NULL);
	} else {
		snprintf(buf, sizeof(buf), "mediad did not store it (%d): %s",
		    rep->status, msg != NULL ? msg : "no message");
		fetch_end(fe, FETCH_FAILED, buf);
	}
	fetch_trim(fe->f);
}

static void
fetch_mediad_read(struct bufferevent *bev, void *arg)
{
	struct fetch *fe = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct client_reply rep = {0};
	size_t len = evbuffer_get_length(in);
	const char *p = (const char *)evbuffer_pullup(in, -1);

	if (client_parse_reply(p, len, 0, &rep) == 1)
		fetch_mediad_reply(fe, &rep);
	client_reply_free(&rep);
}

static void
fetch_mediad_write(struct bufferevent *bev, void *arg)
{
	struct fetch *fe = arg;

	if (fe->paused && fe->easy != NULL) {
		fe->paused = 0;
		curl_easy_pause(fe->easy, CURLPAUSE_CONT);
	}
}

static void
fetch_mediad_event(struct bufferevent *bev, short what, void *arg)
{
	struct fetch *fe = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct client_reply rep = {0};
	size_t len = evbuffer_get_length(in);
	const char *p = (const char *)evbuffer_pullup(in, -1);

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (client_parse_reply(p, len, 1, &rep) == 1)
		fetch_mediad_reply(fe, &rep);
	else {
		fetch_stop_attempt(fe);
		fetch_end(fe, FETCH_FAILED,
		    "mediad closed the upload without an answer: is "
		    "kaputtkvm-mediad running? (journalctl -u "
		    "kaputtkvm-mediad)");
	}
	client_reply_free(&rep);
}

/* Open the upload of length bytes on mediad's socket. */
static int
fetch_mediad_open(struct fetch *fe)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char *esc;

	snprintf(
	    sun.sun_path, sizeof(sun.sun_path), "%s", fe->f->cfg.mediad_socket);
	fe->bev = bufferevent_socket_new(
	    fe->f->base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (fe->bev == NULL)
		xmalloc_fatal("fetch");
	if (bufferevent_socket_connect(
		fe->bev, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(fe->error, sizeof(fe->error),
		    "cannot reach mediad at %s: %s", fe->f->cfg.mediad_socket,
		    strerror(errno));
		return -1;
	}
	bufferevent_setcb(fe->bev, fetch_mediad_read, fetch_mediad_write,
	    fetch_mediad_event, fe);
	bufferevent_setwatermark(fe->bev, EV_WRITE, FETCH_LOW_WATER, 0);
	bufferevent_enable(fe->bev, EV_READ | EV_WRITE);
	if ((esc = curl_easy_escape(NULL, fe->name, 0)) == NULL)
		xmalloc_fatal("fetch");
	evbuffer_add_printf(bufferevent_get_output(fe->bev),
	    "PUT /images/%s?overwrite=%d%s%s HTTP/1.1\r\nHost: fetchd\r\n"
	    "Content-Length: %lld\r\nConnection: close\r\n\r\n",
	    esc, fe->overwrite, fe->expect[0] ? "&sha256=" : "", fe->expect,
	    fe->length);
	curl_free(esc);
	return 0;
}

/* --- curl's callbacks --- */

static size_t
fetch_header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct fetch *fe = arg;
	size_t len = size * n;
	long long last;
	char line[256];

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		fe->cr_first = fe->cr_total = -1; /* a new response */
	else if (len > 14 && len < sizeof(line) &&
	    strncasecmp(p, "Content-Range:", 14) == 0) {
		memcpy(line, p + 14, len - 14);
		line[len - 14] = '\0';
		if (fetch_content_range(
			line, &fe->cr_first, &last, &fe->cr_total) < 0)
			fe->cr_first = fe->cr_total = -1;
	}
	return len;
}

/* The first body byte of an attempt: the length is known (first attempt)
 * or the server resumed where asked (later ones).  -1 with fe->error set. */
static int
fetch_body_begins(struct fetch *fe)
{
	curl_off_t cl = -1;
	long code = 0;

	curl_easy_getinfo(fe->easy, CURLINFO_RESPONSE_CODE, &code);
	if (fe->bev == NULL) {
		curl_easy_getinfo(
		    fe->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		if (code != 200) {
			snprintf(fe->error, sizeof(fe->error),
			    "the server answered %ld, not 200 with the image",
			    code);
			return -1;
		}
		if (cl < 0) {
			snprintf(fe->error, sizeof(fe->error),
			    "the server did not send the image's length (no Content-Length): the store needs it up front to check the space");
			return -1;
		}
		fe->length = cl;
		fe->phase = FETCH_FETCHING;
		return fetch_mediad_open(fe);
	}
	if (code != 206 || fe->cr_first != fe->from ||
	    fe->cr_total != fe->length) {
		snprintf(fe->error, sizeof(fe->error),
		    "the connection dropped after %lld of %lld bytes and the server did not resume at that byte (it answered %ld, Content-Range start %lld of %lld)",
		    fe->from, fe->length, code, fe->cr_first, fe->cr_total);
		return -1;
	}
	fe->phase = FETCH_FETCHING;
	return 0;
}

static size_t
fetch_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct fetch *fe = arg;
	size_t len = size * n;

	if (fe->phase >= FETCH_DONE)
		return 0;
	if (!fe->range_checked) {
		if (fetch_body_begins(fe) < 0) {
			fetch_end(fe, FETCH_FAILED, NULL);
			return 0;
		}
		fe->range_checked = 1;
	}
	if ((long long)len > fe->length - fe->received) {
		snprintf(fe->error, sizeof(fe->error),
		    "the server sent more than the %lld bytes it announced",
		    fe->length);
		fetch_end(fe, FETCH_FAILED, NULL);
		return 0;
	}
	if (evbuffer_get_length(bufferevent_get_output(fe->bev)) >=
	    FETCH_HIGH_WATER) {
		fe->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	bufferevent_write(fe->bev, p, len);
	fe->received += (long long)len;
	return len;
}

/* What to tell a person about a failed transfer. */
static void
fetch_curl_error(struct fetch *fe, CURLcode rc)
{
	const char *hint = "";

	if (rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CACERT_BADFILE)
		hint =
		    " (a private CA: give its certificate as fetchd's ca-file)";
	else if (rc == CURLE_TOO_MANY_REDIRECTS)
		hint = " (a redirect loop?)";
	else if (rc == CURLE_UNSUPPORTED_PROTOCOL)
		hint =
		    " (only http and https are fetched, also after a redirect)";
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		hint = " (the server stopped sending)";
	snprintf(fe->error, sizeof(fe->error), "fetching %s failed: %s%s%s%s",
	    fe->shown, curl_easy_strerror(rc), fe->errbuf[0] ? ": " : "",
	    fe->errbuf, hint);
}

static int
fetch_retryable(CURLcode rc)
{
	return rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR ||
	    rc == CURLE_GOT_NOTHING || rc == CURLE_OPERATION_TIMEDOUT ||
	    rc == CURLE_SEND_ERROR;
}

static void
fetch_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	fetch_attempt(arg);
}

/* curl reports an attempt done. */
static void
fetch_attempt_done(struct fetch *fe, CURLcode rc)
{
	struct timeval tv;

	curl_multi_remove_handle(fe->f->multi, fe->easy);
	curl_easy_cleanup(fe->easy);
	fe->easy = NULL;
	if (fe->phase >= FETCH_DONE)
		goto out;
	if (rc == CURLE_OK) {
		if (fe->bev == NULL && fetch_body_begins(fe) < 0)
			fetch_end(fe, FETCH_FAILED, NULL); /* an empty body */
		else if (fe->received != fe->length) {
			snprintf(fe->error, sizeof(fe->error),
			    "the server ended after %lld of %lld bytes",
			    fe->received, fe->length);
			fetch_end(fe, FETCH_FAILED, NULL);
		} else
			fe->phase = FETCH_STORING; /* mediad answers */
		goto out;
	}
	fetch_curl_error(fe, rc);
	if (fetch_retryable(rc) && fe->attempts <= fe->f->cfg.retries) {
		log_info("fetch of %s as '%s': %s; resuming at byte %lld",
		    fe->shown, fe->name, fe->error, fe->received);
		fe->phase = FETCH_RETRYING;
		tv.tv_sec = fe->f->cfg.retry_delay_ms / 1000;
		tv.tv_usec = (fe->f->cfg.retry_delay_ms % 1000) * 1000;
		event_add(fe->retry_ev, &tv);
		return;
	}
	fetch_end(fe, FETCH_FAILED, NULL);
out:
	fetch_trim(fe->f);
}

/* One transfer: from byte 0, or from fe->received with Range. */
static void
fetch_attempt(struct fetch *fe)
{
	const struct fetch_config *c = &fe->f->cfg;
	CURL *e;

	if ((e = curl_easy_init()) == NULL)
		xmalloc_fatal("fetch");
	fe->easy = e;
	fe->attempts++;
	fe->from = fe->received;
	fe->range_checked = 0;
	fe->errbuf[0] = '\0';
	fe->cr_first = fe->cr_total = -1;
	curl_easy_setopt(e, CURLOPT_URL, fe->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, fe);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, c->max_redirects);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, c->stall_timeout);
	curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "kaputtkvm-fetchd");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, fe->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, fetch_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, fe);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, fe);
	if (c->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (fe->received > 0)
		curl_easy_setopt(
		    e, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)fe->received);
	if (fe->phase != FETCH_CONNECTING)
		fe->phase = FETCH_FETCHING;
	curl_multi_add_handle(fe->f->multi, e);
}

/* --- curl on libevent --- */

static void
fetch_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct fetcher *f = arg;
	int running, action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(f->multi, fd, action, &running);
	fetch_check_done(f);
}

static int
fetch_socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct fetcher *f = userp;
	struct event *ev = sockp;
	short kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL)
			event_free(ev);
		curl_multi_assign(f->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (ev != NULL) {
		event_del(ev);
		event_assign(ev, f->base, s, kind, fetch_socket_event, f);
	} else {
		if ((ev = event_new(f->base, s, kind, fetch_socket_event, f)) ==
		    NULL)
			xmalloc_fatal("fetch");
		curl_multi_assign(f->multi, s, ev);
	}
	event_add(ev, NULL);
	return 0;
}

static void
fetch_timer_event(evutil_socket_t fd, short what, void *arg)
{
	struct fetcher *f = arg;
	int running;

	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	fetch_check_done(f);
}

static int
fetch_timer_cb(CURLM *multi, long ms, void *userp)
{
	struct fetcher *f = userp;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (ms < 0)
		evtimer_del(f->timer);
	else
		evtimer_add(f->timer, &tv);
	return 0;
}

static void
fetch_check_done(struct fetcher *f)
{
	CURLMsg *msg;
	struct fetch *fe;
	int left;

	while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &fe);
		fetch_attempt_done(fe, msg->data.result);
	}
}

/* --- the fetcher --- */

int
fetcher_new(struct event_base *base, const struct fetch_config *cfg,
    struct fetcher **ret)
{
	struct fetcher *f;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return error_set(-EIO, "cannot initialise libcurl");
	f = xcalloc(1, sizeof(*f));
	f->base = base;
	f->cfg = *cfg;
	TAILQ_INIT(&f->fetches);
	if ((f->multi = curl_multi_init()) == NULL ||
	    (f->timer = evtimer_new(base, fetch_timer_event, f)) == NULL)
		xmalloc_fatal("fetch");
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, fetch_socket_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, fetch_timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	*ret = f;
	return 0;
}

void
fetcher_free(struct fetcher *f)
{
	struct fetch *fe;

	if (f == NULL)
		return;
	while ((fe = TAILQ_FIRST(&f->fetches)) != NULL) {
		TAILQ_REMOVE(&f->fetches, fe, entry);
		fetch_free(fe);
	}
	curl_multi_cleanup(f->multi);
	event_free(f->timer);
	free(f);
	curl_global_cleanup();
}

static struct fetch *
fetch_running(struct fetcher *f, const char *name, int *ret_n)
{
	struct fetch *fe, *found = NULL;

	*ret_n = 0;
	TAILQ_FOREACH(fe, &f->fetches, entry)
	{
		if (fe->phase >= FETCH_DONE)
			continue;
		(*ret_n)++;
		if (strcmp(fe->name, name) == 0)
			found = fe;
	}
	return found;
}

int
fetcher_start(struct fetcher *f, const char *url, const char *name,
    const char *sha256, int overwrite)
{
	struct fetch *fe;
	char expect[65] = "", *shown;
	int r, n;

	if ((r = name_check(name, strlen(name))) < 0 ||
	    (sha256 != NULL && (r = request_sha256(sha256, expect)) < 0))
		return r;
	if ((r = fetch_url_check(url, &shown)) < 0)
		return r;
	if (fetch_running(f, name, &n) != NULL || n >= FETCH_MAX_RUNNING) {
		free(shown);
		if (n >= FETCH_MAX_RUNNING)
			return error_set(-EAGAIN,
			    "%d fetches run already: wait for one to end or cancel one",
			    n);
		return error_set(-EBUSY,
		    "'%s' is being fetched already: cancel that first", name);
	}
	fe = xcalloc(1, sizeof(*fe));
	fe->f = f;
	fe->name = xstrdup(name);
	fe->url = xstrdup(url);
	fe->shown = shown;
	memcpy(fe->expect, expect, sizeof(expect));
	fe->overwrite = overwrite;
	fe->length = -1;
	fe->started = fetch_now();
	if ((fe->retry_ev = evtimer_new(f->base, fetch_retry_cb, fe)) == NULL)
		xmalloc_fatal("fetch");
	TAILQ_INSERT_TAIL(&f->fetches, fe, entry);
	log_info("fetching %s as '%s'%s", shown, name,
	    expect[0] ? " (sha256 given)" : "");
	fetch_attempt(fe);
	return 0;
}

int
fetcher_cancel(struct fetcher *f, const char *name)
{
	struct fetch *fe;
	int n;

	if ((fe = fetch_running(f, name, &n)) == NULL)
		return error_set(-ENOENT, "no fetch of '%s' is running", name);
	fetch_stop_attempt(fe);
	fetch_end(fe, FETCH_CANCELLED, "cancelled: nothing was kept");
	fetch_trim(f);
	return 0;
}

json_t *
fetcher_state(struct fetcher *f)
{
	struct fetch *fe;
	json_t *a = json_array(), *o;
	double end;

	TAILQ_FOREACH(fe, &f->fetches, entry)
	{
		end = fe->phase >= FETCH_DONE ? fe->ended : fetch_now();
		o = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:I, s:f}",
		    "name", fe->name, "url", fe->shown, "state",
		    fetch_phase_names[fe->phase], "received",
		    (json_int_t)fe->received, "length",
		    fe->length >= 0 ? json_integer(fe->length) : json_null(),
		    "percent",
		    fe->length > 0 ? json_real(100.0 * (double)fe->received /
					 (double)fe->length)
				   : json_null(),
		    "attempts", (json_int_t)fe->attempts, "seconds",
		    end - fe->started);
		if (o == NULL)
			xmalloc_fatal("fetch");
		if (fe->sha256[0] != '\0')
			json_object_set_new(
			    o, "sha256", json_string(fe->sha256));
		if (fe->error[0] != '\0' && fe->phase >= FETCH_DONE &&
		    fe->phase != FETCH_DONE)
			json_object_set_new(o, "error", json_string(fe->error));
		json_array_append_new(a, o);
	}
	return json_pack("{s:o}", "fetches", a);
}
