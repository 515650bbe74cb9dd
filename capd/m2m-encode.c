/*
 * m2m-encode.c -- drive m2m.c end to end, for the VM tests against vicodec.
 *
 *   m2m-encode --probe                 list the FWHT encoders m2m_probe finds
 *   m2m-encode CAPTURE-DEV W H W2 H2 N FEED [decode]
 *   m2m-encode --lose CAPTURE-DEV W H CMD   CMD takes the encoder away
 *   m2m-encode --capd CAPTURE-DEV W H N     frames from capd's capture.c
 *
 * The second form captures YUYV frames of W x H from CAPTURE-DEV (vivid in
 * the VM), exports its buffers with VIDIOC_EXPBUF and feeds them to the
 * FWHT encoder m2m_probe finds (FEED dmabuf, copy or auto); checks each
 * coded buffer (FWHT header: magic, size, keyframe flag as the buffer's),
 * that the stream varies, that a forced keyframe comes at once, then
 * resizes both to W2 x H2 and encodes N more (FEED auto: frame N/2 of those
 * comes without its dmabuf, as a frame capture.c copied would).  With "decode" each coded
 * buffer goes through vicodec's decoder (m2m-fwhtdec.c) and the decoded
 * luma must match the source frame (PSNR >= MIN_PSNR).  It writes one line per frame
 * and "ok ..." at the end; exit 1 with "FAIL: why" on the first error.
 */
#include "capture.h"
#include "frame.h"
#include "m2m-fwhtdec.h"
#include "m2m.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/videodev2.h>

#define NCAP	   4
#define FWHT_MAGIC 0x4f4f4f4fu
#define MIN_PSNR   28.0 /* dB; vicodec at its default QP gives ~35+ */

struct cap {
	int fd;
	unsigned int n;
	void *p[NCAP];
	size_t len[NCAP];
	int dmabuf[NCAP];
};

static void
die(const char *fmt, const char *arg)
{
	printf("FAIL: ");
	printf(fmt, arg);
	printf("\n");
	exit(1);
}

static void
cap_stop(struct cap *c)
{
	int t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_requestbuffers rb = {
	    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};

	(void)fwhtdec_ioctl(c->fd, VIDIOC_STREAMOFF, &t);
	for (unsigned int i = 0; i < c->n; i++) {
		munmap(c->p[i], c->len[i]);
		close(c->dmabuf[i]);
	}
	c->n = 0;
	(void)fwhtdec_ioctl(c->fd, VIDIOC_REQBUFS, &rb);
}

/* YUYV at w x h, mmap buffers exported as dmabufs, streaming. */
static void
cap_start(struct cap *c, unsigned int w, unsigned int h)
{
	struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
	struct v4l2_requestbuffers rb = {.count = NCAP,
	    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
	    .memory = V4L2_MEMORY_MMAP};
	int t = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	f.fmt.pix.width = w;
	f.fmt.pix.height = h;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	if (fwhtdec_ioctl(c->fd, VIDIOC_S_FMT, &f) < 0 ||
	    f.fmt.pix.width != w || f.fmt.pix.height != h)
		die("capture device does not give YUYV at this size (%s)",
		    strerror(errno));
	if (fwhtdec_ioctl(c->fd, VIDIOC_REQBUFS, &rb) < 0 || rb.count < 2)
		die("capture REQBUFS: %s", strerror(errno));
	c->n = rb.count < NCAP ? rb.count : NCAP;
	for (unsigned int i = 0; i < c->n; i++) {
		struct v4l2_buffer b = {.index = i,
		    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		    .memory = V4L2_MEMORY_MMAP};
		struct v4l2_exportbuffer e = {
		    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		    .index = i,
		    .flags = O_RDONLY | O_CLOEXEC};

		if (fwhtdec_ioctl(c->fd, VIDIOC_QUERYBUF, &b) < 0)
			die("capture QUERYBUF: %s", strerror(errno));
		c->len[i] = b.length;
		c->p[i] = mmap(
		    NULL, b.length, PROT_READ, MAP_SHARED, c->fd, b.m.offset);
		if (c->p[i] == MAP_FAILED)
			die("capture mmap: %s", strerror(errno));
		if (fwhtdec_ioctl(c->fd, VIDIOC_EXPBUF, &e) < 0)
			die("capture EXPBUF: %s", strerror(errno));
		c->dmabuf[i] = e.fd;
		if (fwhtdec_ioctl(c->fd, VIDIOC_QBUF, &b) < 0)
			die("capture QBUF: %s", strerror(errno));
	}
	if (fwhtdec_ioctl(c->fd, VIDIOC_STREAMON, &t) < 0)
		die("capture STREAMON: %s", strerror(errno));
}

static void
cap_next(struct cap *c, struct v4l2_buffer *b)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	for (;;) {
		memset(b, 0, sizeof(*b));
		b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b->memory = V4L2_MEMORY_MMAP;
		if (fwhtdec_ioctl(c->fd, VIDIOC_DQBUF, b) == 0)
			return;
		if (errno != EAGAIN)
			die("capture DQBUF: %s", strerror(errno));
		if (poll(&p, 1, 5000) <= 0)
			die("no frame from the capture device in 5 s%s", "");
	}
}

/* FWHT header checks: magic, size, I-frame flag (bit 10) as keyframe. */
static void
check_fwht(const struct m2m_packet *pk, unsigned int w, unsigned int h)
{
	uint32_t hd[11];

	if (pk->size < sizeof(hd))
		die("coded buffer shorter than an FWHT header%s", "");
	memcpy(hd, pk->data, sizeof(hd));
	if (hd[0] != FWHT_MAGIC || hd[1] != 0xffffffffu)
		die("coded buffer without the FWHT magic%s", "");
	if (ntohl(hd[3]) != w || ntohl(hd[4]) != h) {
		printf("header %ux%u, want %ux%u\n", ntohl(hd[3]), ntohl(hd[4]),
		    w, h);
		die("FWHT header has the wrong size%s", "");
	}
	if (!!(ntohl(hd[5]) & (1u << 10)) != pk->keyframe)
		die("KEYFRAME flag disagrees with the FWHT I-frame flag%s", "");
}

static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	while (n--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

/* Encode n frames at w x h; returns how many distinct coded buffers. */
static int
run(struct m2m *m, struct cap *c, unsigned int w, unsigned int h, int n,
    int force_at, int decode, int auto_copy_at)
{
	struct fwhtdec *dec = decode ? fwhtdec_open(w, h) : NULL;
	uint64_t hashes[64];
	int distinct = 0;

	for (int i = 0; i < n && i < 64; i++) {
		struct v4l2_buffer b;
		struct m2m_frame fr;
		struct m2m_packet pk;
		int r, seen = 0;
		double psnr;

		cap_next(c, &b);
		fr = (struct m2m_frame){.data = c->p[b.index],
		    .dmabuf_fd = c->dmabuf[b.index],
		    .size = b.bytesused,
		    .length = c->len[b.index],
		    .slot = b.index,
		    .ts_us = 1000000ull + (uint64_t)i * 33333};
		if (auto_copy_at == i)
			fr.dmabuf_fd = -1; /* as capture.c's copied frames */
		if (i == force_at && m2m_force_keyframe(m) < 0)
			die("force keyframe: %s", m2m_error(m));
		if ((r = m2m_encode(m, &fr, &pk)) < 0)
			die("encode: %s", m2m_error(m));
		check_fwht(&pk, w, h);
		psnr = dec ? fwhtdec_psnr(dec, pk.data, pk.size, fr.data) : 0;
		if (fwhtdec_ioctl(c->fd, VIDIOC_QBUF, &b) < 0)
			die("capture QBUF: %s", strerror(errno));
		if (dec && psnr < MIN_PSNR) {
			printf(
			    "frame %d: decoded luma PSNR %.1f dB\n", i, psnr);
			die("the decoded frame does not match the source%s",
			    "");
		}
		if (pk.ts_us != fr.ts_us)
			die("the timestamp did not come through%s", "");
		if (i == 0 && !pk.keyframe)
			die("the first frame is no keyframe%s", "");
		if (i == force_at && !pk.keyframe)
			die("the forced keyframe did not come at once%s", "");
		if (i > 0 && i != force_at && i != auto_copy_at && pk.keyframe)
			die("a keyframe where none was asked (gop 1000)%s", "");
		hashes[i] = fnv(pk.data, pk.size);
		for (int j = 0; j < i; j++)
			seen |= hashes[j] == hashes[i];
		distinct += !seen;
		printf("frame %d %ux%u bytes %zu key %d psnr %.1f\n", i, w, h,
		    pk.size, pk.keyframe, psnr);
	}
	if (dec)
		fwhtdec_free(dec);
	return distinct;
}

static int
probe(void)
{
	struct m2m_device d[8];
	int n = m2m_probe(V4L2_PIX_FMT_FWHT, d, 8);

	for (int i = 0; i < n; i++)
		printf("%s %s %s %s\n", d[i].path, d[i].driver, d[i].card,
		    d[i].mplane ? "mplane" : "single");
	return n > 0 ? 0 : 1;
}

static enum m2m_feed
feed_of(const char *s)
{
	if (!strcmp(s, "dmabuf"))
		return M2M_FEED_DMABUF;
	if (!strcmp(s, "copy"))
		return M2M_FEED_COPY;
	if (!strcmp(s, "auto"))
		return M2M_FEED_AUTO;
	die("feed must be dmabuf, copy or auto, not '%s'", s);
	return M2M_FEED_AUTO;
}

/* --lose DEV W H CMD: encode, run CMD (which takes the encoder away),
 * then the next frame must fail with -ENODEV and the free must not hang. */
static int
lose(char **argv)
{
	struct cap c = {0};
	struct m2m_config cfg = {.coded = V4L2_PIX_FMT_FWHT,
	    .raw = V4L2_PIX_FMT_YUYV,
	    .width = (unsigned int)atoi(argv[3]),
	    .height = (unsigned int)atoi(argv[4]),
	    .timeout_ms = 3000};
	struct v4l2_buffer b;
	struct m2m_frame fr;
	struct m2m_packet pk;
	struct m2m *m;
	char err[160];
	int r;

	if ((c.fd = open(argv[2], O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		die("%s: cannot open", argv[2]);
	cap_start(&c, cfg.width, cfg.height);
	if (m2m_open(&cfg, &m, err, sizeof(err)) < 0)
		die("m2m_open: %s", err);
	run(m, &c, cfg.width, cfg.height, 2, -1, 0, -1);
	if (system(argv[5]) != 0)
		die("'%s' failed", argv[5]);
	cap_next(&c, &b);
	fr = (struct m2m_frame){.data = c.p[b.index],
	    .dmabuf_fd = c.dmabuf[b.index],
	    .size = b.bytesused,
	    .length = c.len[b.index],
	    .slot = b.index};
	r = m2m_encode(m, &fr, &pk);
	printf("after the loss: %d (%s)\n", r, r < 0 ? m2m_error(m) : "");
	if (r != -ENODEV)
		die("the lost encoder was not reported as -ENODEV%s", "");
	m2m_free(m);
	cap_stop(&c);
	close(c.fd);
	printf("ok lost\n");
	return 0;
}

/* The next frame from capd's capture.c (lent, not copied). */
static struct frame *
capd_next(struct capture *cap, struct frame_pool *pool)
{
	struct pollfd p = {.fd = capture_fd(cap), .events = POLLIN};
	struct frame *f = NULL;
	int r;

	while ((r = capture_grab(cap, pool, 1, &f)) == -EAGAIN || !f)
		if (r != -EAGAIN && r < 0)
			die("capture_grab: %s", strerror(-r));
		else if (poll(&p, 1, 5000) <= 0)
			die("no frame from capture.c in 5 s%s", "");
	return f;
}

/* --capd DEV W H N: frames from capd's own capture.c, imported by DMABUF
 * from the buffers it exports (capture_frame_dmabuf), decoded back. */
static int
from_capd(char **argv)
{
	struct capture_config cc = {.device = argv[2],
	    .width = (unsigned int)atoi(argv[3]),
	    .height = (unsigned int)atoi(argv[4]),
	    .format = "yuyv",
	    .input = -1};
	struct m2m_config cfg = {.coded = V4L2_PIX_FMT_FWHT,
	    .raw = V4L2_PIX_FMT_YUYV,
	    .width = cc.width,
	    .height = cc.height,
	    .feed = M2M_FEED_DMABUF};
	struct frame_pool *pool = frame_pool_new(2);
	struct fwhtdec *dec = fwhtdec_open(cc.width, cc.height);
	struct capture *cap;
	struct m2m *m;
	char err[160];
	int n = atoi(argv[5]);

	if (capture_open(&cc, &cap) < 0)
		die("capture_open %s failed", argv[2]);
	if (m2m_open(&cfg, &m, err, sizeof(err)) < 0)
		die("m2m_open: %s", err);
	for (int i = 0; i < n; i++) {
		struct frame *f = capd_next(cap, pool);
		struct m2m_frame fr = {.data = f->data, .size = f->len};
		struct m2m_packet pk;
		double psnr;

		fr.dmabuf_fd = capture_frame_dmabuf(f, &fr.slot);
		if (fr.dmabuf_fd < 0)
			die("capture.c exported no dmabuf for its frame%s", "");
		if (m2m_encode(m, &fr, &pk) < 0)
			die("encode: %s", m2m_error(m));
		check_fwht(&pk, cc.width, cc.height);
		psnr = fwhtdec_psnr(dec, pk.data, pk.size, f->data);
		printf("capd frame %d slot %u bytes %zu psnr %.1f\n", i,
		    fr.slot, pk.size, psnr);
		if (psnr < MIN_PSNR)
			die("the decoded frame does not match the source%s",
			    "");
		frame_unref(f);
	}
	m2m_free(m);
	fwhtdec_free(dec);
	capture_close(cap);
	frame_pool_free(pool);
	printf("ok capd %d\n", n);
	return 0;
}

int
main(int argc, char **argv)
{
	struct cap c = {0};
	struct m2m_config cfg = {.coded = V4L2_PIX_FMT_FWHT,
	    .raw = V4L2_PIX_FMT_YUYV,
	    .fps = 30,
	    .gop = 1000};
	struct m2m_info info;
	struct m2m *m;
	char err[160];
	int n, d1, d2, decode;

	if (argc == 2 && !strcmp(argv[1], "--probe"))
		return probe();
	if (argc == 6 && !strcmp(argv[1], "--lose"))
		return lose(argv);
	if (argc == 6 && !strcmp(argv[1], "--capd"))
		return from_capd(argv);
	if (argc != 8 && !(argc == 9 && !strcmp(argv[8], "decode")))
		die("usage: m2m-encode --probe | DEV W H W2 H2 N FEED [decode]%s",
		    "");
	decode = argc == 9;
	cfg.width = (unsigned int)atoi(argv[2]);
	cfg.height = (unsigned int)atoi(argv[3]);
	n = atoi(argv[6]);
	cfg.feed = feed_of(argv[7]);
	if ((c.fd = open(argv[1], O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		die("%s: cannot open", argv[1]);
	cap_start(&c, cfg.width, cfg.height);
	if (m2m_open(&cfg, &m, err, sizeof(err)) < 0)
		die("m2m_open: %s", err);
	m2m_get_info(m, &info);
	printf("encoder %s %s %s dmabuf %d gop %d bitrate %d forcekey %d\n",
	    info.dev.path, info.dev.driver,
	    info.dev.mplane ? "mplane" : "single", info.dmabuf, info.has_gop,
	    info.has_bitrate, info.has_force_key);
	d1 = run(m, &c, cfg.width, cfg.height, n, n / 2, decode, -1);
	cap_stop(&c);
	cap_start(&c, (unsigned int)atoi(argv[4]), (unsigned int)atoi(argv[5]));
	if (m2m_resize(m, (unsigned int)atoi(argv[4]),
		(unsigned int)atoi(argv[5])) < 0)
		die("resize: %s", m2m_error(m));
	d2 =
	    run(m, &c, (unsigned int)atoi(argv[4]), (unsigned int)atoi(argv[5]),
		n, -1, decode, cfg.feed == M2M_FEED_AUTO ? n / 2 : -1);
	m2m_get_info(m, &info);
	cap_stop(&c);
	m2m_free(m);
	close(c.fd);
	if (d1 < 2 || d2 < 2)
		die("the coded stream does not vary%s", "");
	printf("encode time: %.2f ms a frame on average\n",
	    info.frames ? info.total_us / 1000.0 / (double)info.frames : 0.0);
	printf("ok frames %llu restarts %llu distinct %d %d dmabuf %d\n",
	    (unsigned long long)info.frames, (unsigned long long)info.restarts,
	    d1, d2, info.dmabuf);
	return 0;
}
