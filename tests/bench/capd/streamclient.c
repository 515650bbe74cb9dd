/*
 * streamclient.c -- N MJPEG clients on one epoll loop, for capd-bench.
 *
 *	capd-streamclient SOCKET CLIENTS SECONDS
 *
 * Each client reads GET /stream as fast as it can and notes, for every
 * part, the time from its X-Timestamp (capture time) to its last byte.
 * Prints key=value: frames per client and latency percentiles in ms.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TRAILER_LEN (sizeof("\r\n--kaputtkvm-frame\r\n") - 1)

struct client {
	int fd;
	char *buf;
	size_t off, len, cap;
	int in_body, got_head;
	size_t need;
	double ts;
	long frames;
};

static double *lat;
static size_t nlat, caplat;

/* Wall-clock seconds. */
static double
now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Monotonic seconds. */
static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* For qsort. */
static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Consume what the buffer holds: heads and parts. */
static void
parse(struct client *c, double t)
{
	char *b, *e, *p;
	size_t used, avail;

	for (;;) {
		b = c->buf + c->off;
		avail = c->len - c->off;
		if (!c->in_body) {
			e = memmem(b, avail, "\r\n\r\n", 4);
			if (e == NULL)
				break;
			*e = '\0';
			used = (size_t)(e - b) + 4;
			if (!c->got_head) {
				/* response head, then the first boundary */
				c->got_head = 1;
				used += sizeof("--kaputtkvm-frame\r\n") - 1;
				if (used > avail)
					break;
			} else {
				p = strstr(b, "Content-Length: ");
				c->need = p ? strtoul(p + 16, NULL, 10) : 0;
				c->need += TRAILER_LEN;
				p = strstr(b, "X-Timestamp: ");
				c->ts = p ? strtod(p + 13, NULL) : t;
				c->in_body = 1;
			}
			c->off += used;
			continue;
		}
		if (avail < c->need)
			break;
		if (nlat == caplat) {
			caplat = caplat ? caplat * 2 : 65536;
			lat = realloc(lat, caplat * sizeof(*lat));
		}
		lat[nlat++] = (t - c->ts) * 1000.0;
		c->frames++;
		c->off += c->need;
		c->in_body = 0;
	}
	/* keep the unparsed rest (less than a part) at the start */
	memmove(c->buf, c->buf + c->off, c->len - c->off);
	c->len -= c->off;
	c->off = 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	struct epoll_event ev, evs[64];
	struct client *cs, *c;
	int n, i, ep, k;
	double secs, end, t;
	long minf = -1, sum = 0;
	ssize_t r;
	static const char req[] = "GET /stream HTTP/1.1\r\nHost: b\r\n\r\n";

	if (argc != 4) {
		fprintf(stderr,
		    "usage: capd-streamclient SOCKET CLIENTS SECONDS\n");
		return 2;
	}
	n = atoi(argv[2]);
	secs = atof(argv[3]);
	cs = calloc((size_t)n, sizeof(*cs));
	ep = epoll_create1(0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	for (i = 0; i < n; i++) {
		c = &cs[i];
		c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			perror("connect");
			return 1;
		}
		if (write(c->fd, req, sizeof(req) - 1) < 0)
			return 1;
		fcntl(c->fd, F_SETFL, O_NONBLOCK);
		c->cap = 1 << 20;
		c->buf = malloc(c->cap);
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	}
	/* the first second is warm-up: not counted */
	end = now_mono() + 1.0;
	for (k = 0; k < 2; k++) {
		while ((t = now_mono()) < end) {
			int m = epoll_wait(ep, evs, 64, 100);

			for (i = 0; i < m; i++) {
				c = evs[i].data.ptr;
				for (;;) {
					if (c->cap - c->len < 65536) {
						c->cap *= 2;
						c->buf =
						    realloc(c->buf, c->cap);
					}
					r = read(c->fd, c->buf + c->len,
					    c->cap - c->len);
					if (r <= 0)
						break;
					c->len += (size_t)r;
				}
				parse(c, now_real());
			}
		}
		if (k == 0) {
			nlat = 0;
			for (i = 0; i < n; i++)
				cs[i].frames = 0;
			end = now_mono() + secs;
		}
	}
	for (i = 0; i < n; i++) {
		sum += cs[i].frames;
		if (minf < 0 || cs[i].frames < minf)
			minf = cs[i].frames;
		close(cs[i].fd);
	}
	qsort(lat, nlat, sizeof(*lat), cmp);
	printf(
	    "clients=%d fps_avg=%.1f fps_min=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
	    n, sum / secs / n, minf / secs, nlat ? lat[nlat / 2] : -1,
	    nlat ? lat[nlat * 99 / 100] : -1, nlat ? lat[nlat - 1] : -1);
	return 0;
}
