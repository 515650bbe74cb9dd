/*
 * test-client.c -- client_call_stream(): uploads behind "100 Continue",
 * downloads into a file, and the ways they fail.  A forked child plays the
 * daemon on a private socket, one scripted connection per case.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "client.h"
#include "error.h"
#include "tap.h"

#define BODY_LEN (3u << 20)

static char sock_path[108];

enum script {
	REFUSE,	   /* 409 after the head, before the body */
	TAKE,	   /* 100, read the whole body, 200 with its size */
	SEND,	   /* 200 with a BODY_LEN body */
	BREAK_OFF, /* 200 announcing 1000 bytes, 500 sent, then closed */
};

/* Reads the request head from fd; the bytes after it stay unread
 * (mostly: a few may be in *extra). */
static size_t
read_head(int fd, size_t *extra)
{
	static char buf[65536];
	size_t len = 0;
	ssize_t n;
	char *end;

	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0) {
		len += (size_t)n;
		if ((end = memmem(buf, len, "\r\n\r\n", 4)) != NULL) {
			*extra = len - (size_t)(end + 4 - buf);
			return len;
		}
	}
	*extra = 0;
	return 0;
}

/* write() all of buf, or end the child. */
static void
put(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(1);
}

/* The child's side of one connection. */
static void
serve(int fd, enum script s)
{
	static char chunk[65536];
	char reply[256];
	size_t extra, got;
	ssize_t n;

	read_head(fd, &extra);
	switch (s) {
	case REFUSE:
		snprintf(reply, sizeof(reply),
		    "{\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":\"taken\"}}");
		dprintf(fd,
		    "HTTP/1.1 409 Conflict\r\nContent-Type: application/json"
		    "\r\nContent-Length: %zu\r\n\r\n%s",
		    strlen(reply), reply);
		break;
	case TAKE:
		put(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		for (got = extra; (n = read(fd, chunk, sizeof(chunk))) > 0;)
			got += (size_t)n;
		n = snprintf(reply, sizeof(reply),
		    "{\"ok\":true,\"result\":{\"got\":%zu}}", got);
		dprintf(fd,
		    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zd\r\n\r\n%s",
		    n, reply);
		break;
	case SEND:
		dprintf(fd,
		    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream"
		    "\r\nContent-Length: %u\r\n\r\n",
		    BODY_LEN);
		memset(chunk, 'k', sizeof(chunk));
		for (got = 0; got < BODY_LEN; got += sizeof(chunk))
			put(fd, chunk, sizeof(chunk));
		break;
	case BREAK_OFF:
		dprintf(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
		memset(chunk, 'b', 500);
		put(fd, chunk, 500);
		break;
	}
}

/* Forks a daemon for one connection with script s. */
static pid_t
daemon_start(enum script s)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int lfd, fd;
	pid_t pid;

	unlink(sock_path);
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(lfd, 1)) {
		perror("socket");
		exit(1);
	}
	if ((pid = fork()) == 0) {
		if ((fd = accept(lfd, NULL, NULL)) != -1)
			serve(fd, s);
		_exit(0);
	}
	close(lfd);
	return pid;
}

/* A temporary file of len bytes, open for reading. */
static int
body_file(size_t len)
{
	char path[] = "/tmp/test-client-XXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	if (fd == -1 || ftruncate(fd, (off_t)len) == -1)
		exit(1);
	return fd;
}

/* Counts what the upload callback saw. */
static void
count_cb(const void *buf, size_t len, void *arg)
{
	*(unsigned long long *)arg += len;
}

static void
test_upload(void)
{
	struct client_stream st = {.reply_fd = -1, .sent_cb = count_cb};
	struct client_reply rep;
	unsigned long long seen = 0;
	pid_t pid;
	int r;

	st.arg = &seen;
	st.body_fd = body_file(BODY_LEN);
	st.body_len = BODY_LEN;
	pid = daemon_start(REFUSE);
	r = client_call_stream(sock_path, "PUT", "/x", &st, 5000, &rep);
	is_int(r, 0, "a refusal before the body is a reply");
	is_int(rep.status, 409, "its status");
	is_int(st.sent, 0, "not a byte of the body was sent");
	is_int(seen, 0, "nor read");
	client_reply_free(&rep);
	waitpid(pid, NULL, 0);

	lseek(st.body_fd, 0, SEEK_SET);
	pid = daemon_start(TAKE);
	r = client_call_stream(sock_path, "PUT", "/x", &st, 5000, &rep);
	is_int(r, 0, "after 100 Continue, the body is sent");
	is_int(rep.status, 200, "and answered");
	is_int(json_integer_value(
		   json_object_get(json_object_get(rep.json, "result"), "got")),
	    BODY_LEN, "the daemon got every byte");
	is_int(st.sent, BODY_LEN, "st.sent says so");
	is_int(seen, BODY_LEN, "every chunk went through the callback");
	client_reply_free(&rep);
	waitpid(pid, NULL, 0);

	/* the file is at its end now: it "shrank" */
	pid = daemon_start(TAKE);
	r = client_call_stream(sock_path, "PUT", "/x", &st, 5000, &rep);
	is_int(r, -EIO, "a body file shorter than announced fails");
	ok(st.local_error, "as a local error: %s", error_get());
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(st.body_fd);
}

static void
test_download(void)
{
	struct client_stream st = {.body_fd = -1};
	struct client_reply rep;
	pid_t pid;
	int r;

	st.reply_fd = body_file(0);
	pid = daemon_start(SEND);
	r = client_call_stream(sock_path, "GET", "/x", &st, 5000, &rep);
	is_int(r, 0, "a download");
	is_int(rep.body_len, BODY_LEN, "the bytes written");
	is_int(lseek(st.reply_fd, 0, SEEK_END), BODY_LEN, "are in the file");
	client_reply_free(&rep);
	waitpid(pid, NULL, 0);
	close(st.reply_fd);

	st.reply_fd = body_file(0);
	pid = daemon_start(BREAK_OFF);
	r = client_call_stream(sock_path, "GET", "/x", &st, 5000, &rep);
	is_int(r, -EPROTO, "a body that ends early is -EPROTO");
	ok(error_get() && strstr(error_get(), "after 500 of 1000 bytes"),
	    "its message says how far: %s", error_get());
	ok(!st.local_error, "not a local error");
	waitpid(pid, NULL, 0);
	close(st.reply_fd);

	st.reply_fd = open("/dev/null", O_RDONLY);
	pid = daemon_start(SEND);
	r = client_call_stream(sock_path, "GET", "/x", &st, 5000, &rep);
	ok(r < 0 && st.local_error, "a file that cannot be written is local");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(st.reply_fd);
}

/* client_call_async(): the callback's result. */
static void
async_cb(int result, struct client_reply *cr, void *arg)
{
	int *got = arg;

	*got = result;
}

/* An async call to a path where no socket is calls back, on the loop,
 * with the error (libevent reports that connect only by its return). */
static void
test_async_no_socket(void)
{
	struct event_base *base = event_base_new();
	char path[128];
	int got = 1;

	snprintf(path, sizeof(path), "%s.none", sock_path);
	unlink(path);
	is_int(client_call_async(
		   base, path, "GET", "/state", NULL, 1000, async_cb, &got),
	    0, "an async call to a missing socket starts");
	is_int(got, 1, "not called back from the call itself");
	event_base_loop(base, EVLOOP_NONBLOCK);
	is_int(got, -ENOENT, "called back on the loop with -ENOENT");
	client_cancel_all(base);
	event_base_free(base);
}

int
main(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/test-client-%d.sock",
	    (int)getpid());
	signal(SIGPIPE, SIG_IGN);
	test_upload();
	test_download();
	test_async_no_socket();
	unlink(sock_path);
	return tap_done();
}
