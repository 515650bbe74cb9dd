/*
 * m2m-fwhtdec.c -- vicodec's stateful decoder as m2m-encode's check (see
 * m2m-fwhtdec.h), following dev-decoder.rst: FWHT on OUTPUT, the first
 * buffer queued, the SOURCE_CHANGE event, then YUYV on CAPTURE.
 */
#include "m2m-fwhtdec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/videodev2.h>

#define DEC_NBUF 2

struct fwhtdec {
	int fd;
	unsigned int w, h;
	void *out[DEC_NBUF], *cap[DEC_NBUF];
	size_t out_len[DEC_NBUF], cap_len[DEC_NBUF];
	unsigned int nout, ncap, next_out, queued_out;
	int capturing;
};

static void
dec_die(const char *what)
{
	printf("FAIL: decoder: %s: %s\n", what, strerror(errno));
	exit(1);
}

int
fwhtdec_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Is fd a stateful m2m decoder with FWHT on its OUTPUT queue? */
static int
is_decoder(int fd)
{
	struct v4l2_capability cap = {0};
	struct v4l2_fmtdesc f = {.type = V4L2_BUF_TYPE_VIDEO_OUTPUT};

	if (fwhtdec_ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0 ||
	    !(cap.device_caps & V4L2_CAP_VIDEO_M2M))
		return 0;
	for (; fwhtdec_ioctl(fd, VIDIOC_ENUM_FMT, &f) == 0; f.index++)
		if (f.pixelformat == V4L2_PIX_FMT_FWHT)
			return 1;
	return 0;
}

static int
find_decoder(void)
{
	DIR *d = opendir("/dev");
	struct dirent *e;
	int fd = -1;

	while (d && fd < 0 && (e = readdir(d))) {
		char p[300];

		if (strncmp(e->d_name, "video", 5) != 0)
			continue;
		snprintf(p, sizeof(p), "/dev/%s", e->d_name);
		if ((fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
			continue;
		if (!is_decoder(fd)) {
			close(fd);
			fd = -1;
		}
	}
	if (d)
		closedir(d);
	if (fd < 0) {
		printf("FAIL: no FWHT decoder node (vicodec)\n");
		exit(1);
	}
	return fd;
}

/* REQBUFS and mmap n buffers of type into p/len. */
static unsigned int
dec_map(int fd, uint32_t type, void **p, size_t *len)
{
	struct v4l2_requestbuffers rb = {
	    .count = DEC_NBUF, .type = type, .memory = V4L2_MEMORY_MMAP};

	if (fwhtdec_ioctl(fd, VIDIOC_REQBUFS, &rb) < 0 || rb.count == 0)
		dec_die("REQBUFS");
	if (rb.count > DEC_NBUF)
		rb.count = DEC_NBUF;
	for (unsigned int i = 0; i < rb.count; i++) {
		struct v4l2_buffer b = {
		    .index = i, .type = type, .memory = V4L2_MEMORY_MMAP};

		if (fwhtdec_ioctl(fd, VIDIOC_QUERYBUF, &b) < 0)
			dec_die("QUERYBUF");
		len[i] = b.length;
		p[i] = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, b.m.offset);
		if (p[i] == MAP_FAILED)
			dec_die("mmap");
	}
	return rb.count;
}

struct fwhtdec *
fwhtdec_open(unsigned int w, unsigned int h)
{
	struct fwhtdec *d = calloc(1, sizeof(*d));
	struct v4l2_event_subscription sub = {.type = V4L2_EVENT_SOURCE_CHANGE};
	struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_OUTPUT};
	int t = V4L2_BUF_TYPE_VIDEO_OUTPUT;

	if (!d)
		dec_die("calloc");
	d->fd = find_decoder();
	d->w = w;
	d->h = h;
	if (fwhtdec_ioctl(d->fd, VIDIOC_SUBSCRIBE_EVENT, &sub) < 0)
		dec_die("SUBSCRIBE_EVENT");
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_FWHT;
	f.fmt.pix.width = w;
	f.fmt.pix.height = h;
	if (fwhtdec_ioctl(d->fd, VIDIOC_S_FMT, &f) < 0)
		dec_die("S_FMT OUTPUT");
	d->nout =
	    dec_map(d->fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, d->out, d->out_len);
	if (fwhtdec_ioctl(d->fd, VIDIOC_STREAMON, &t) < 0)
		dec_die("STREAMON OUTPUT");
	return d;
}

static void
dec_wait(struct fwhtdec *d, short ev, const char *what)
{
	struct pollfd p = {.fd = d->fd, .events = ev};

	if (poll(&p, 1, 5000) <= 0) {
		printf("FAIL: decoder: no %s in 5 s\n", what);
		exit(1);
	}
}

/* After the first buffer: the event, YUYV on CAPTURE, streaming. */
static void
dec_capture_start(struct fwhtdec *d)
{
	struct v4l2_event ev;
	struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
	int t = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	dec_wait(d, POLLPRI, "SOURCE_CHANGE event");
	if (fwhtdec_ioctl(d->fd, VIDIOC_DQEVENT, &ev) < 0)
		dec_die("DQEVENT");
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f.fmt.pix.width = d->w;
	f.fmt.pix.height = d->h;
	if (fwhtdec_ioctl(d->fd, VIDIOC_S_FMT, &f) < 0)
		dec_die("S_FMT CAPTURE");
	if (f.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV ||
	    f.fmt.pix.width != d->w || f.fmt.pix.height != d->h) {
		printf("FAIL: decoder gives %ux%u, not YUYV %ux%u\n",
		    f.fmt.pix.width, f.fmt.pix.height, d->w, d->h);
		exit(1);
	}
	d->ncap = dec_map(d->fd, t, d->cap, d->cap_len);
	for (unsigned int i = 0; i < d->ncap; i++) {
		struct v4l2_buffer b = {
		    .index = i, .type = t, .memory = V4L2_MEMORY_MMAP};

		if (fwhtdec_ioctl(d->fd, VIDIOC_QBUF, &b) < 0)
			dec_die("QBUF CAPTURE");
	}
	if (fwhtdec_ioctl(d->fd, VIDIOC_STREAMON, &t) < 0)
		dec_die("STREAMON CAPTURE");
	d->capturing = 1;
}

static void
dec_queue(struct fwhtdec *d, const uint8_t *coded, size_t n)
{
	struct v4l2_buffer b = {
	    .type = V4L2_BUF_TYPE_VIDEO_OUTPUT, .memory = V4L2_MEMORY_MMAP};

	while (d->queued_out == d->nout) {
		if (fwhtdec_ioctl(d->fd, VIDIOC_DQBUF, &b) == 0)
			d->queued_out--;
		else if (errno == EAGAIN)
			dec_wait(d, POLLOUT, "OUTPUT buffer back");
		else
			dec_die("DQBUF OUTPUT");
	}
	b.index = d->next_out;
	d->next_out = (d->next_out + 1) % d->nout;
	if (n > d->out_len[b.index]) {
		printf("FAIL: coded buffer of %zu bytes too large\n", n);
		exit(1);
	}
	memcpy(d->out[b.index], coded, n);
	b.bytesused = n;
	if (fwhtdec_ioctl(d->fd, VIDIOC_QBUF, &b) < 0)
		dec_die("QBUF OUTPUT");
	d->queued_out++;
}

double
fwhtdec_psnr(
    struct fwhtdec *d, const uint8_t *coded, size_t n, const uint8_t *yuyv)
{
	struct v4l2_buffer b = {
	    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
	const uint8_t *y;
	double se = 0;

	dec_queue(d, coded, n);
	if (!d->capturing)
		dec_capture_start(d);
	while (fwhtdec_ioctl(d->fd, VIDIOC_DQBUF, &b) < 0) {
		if (errno != EAGAIN)
			dec_die("DQBUF CAPTURE");
		dec_wait(d, POLLIN, "decoded frame");
	}
	y = d->cap[b.index];
	for (size_t i = 0; i < (size_t)d->w * d->h; i++) {
		double e = (double)y[2 * i] - yuyv[2 * i];

		se += e * e;
	}
	if (fwhtdec_ioctl(d->fd, VIDIOC_QBUF, &b) < 0)
		dec_die("QBUF CAPTURE");
	se /= (double)d->w * d->h;
	return se == 0 ? 99.0 : 10 * log10(255.0 * 255.0 / se);
}

void
fwhtdec_free(struct fwhtdec *d)
{
	for (unsigned int i = 0; i < d->nout; i++)
		munmap(d->out[i], d->out_len[i]);
	for (unsigned int i = 0; i < d->ncap; i++)
		munmap(d->cap[i], d->cap_len[i]);
	close(d->fd);
	free(d);
}
