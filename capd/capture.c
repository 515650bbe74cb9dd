/*
 * capture.c -- V4L2 capture with mmap streaming.
 *
 * libv4l2 is used for open and ioctl so that odd devices with their own
 * formats still work; we prefer formats the device offers natively and use
 * libv4l2's conversions only when nothing else fits.  Buffers are dequeued
 * until the queue is empty and only the newest is kept: a stale frame is
 * worse than a dropped one.
 *
 * A raw frame is lent, not copied: the frame points into the mapped
 * buffer, and the buffer goes back to the driver (QBUF) when the frame's
 * last reference goes, on whichever thread -- the encoder reads the
 * device's memory once, where a copy would read it, write a copy and read
 * that.  A buffer is lent only while at least two others stay queued with
 * the driver, so capture never runs short; otherwise, and for MJPEG
 * (checked and repaired into a pooled frame) and libv4l2's converted
 * formats, the bytes are copied and the buffer goes straight back.
 * Closing the device leaves the mappings to the last lent frame.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <pthread.h>
#include <stdatomic.h>

#include <libv4l2.h>
#include <linux/videodev2.h>

#include "capture.h"
#include "edid.h"
#include "error.h"
#include "frame.h"
#include "jpeg.h"
#include "xmalloc.h"

/* Enough for two encoder workers and a waiting frame to hold a buffer
 * each while two stay with the driver. */
#define NBUFS	     6
#define DRIVER_KEEPS 2

struct capture_buf {
	void *start;
	size_t length;
	int dmabuf; /* VIDIOC_EXPBUF's fd, -1: none */
};

/* The mapped buffers, shared by the capture and the frames it lends. */
struct capture_mem {
	atomic_uint refs;
	pthread_mutex_t lock;
	int fd;		   /* -1 once closed: nothing goes back */
	unsigned int lent; /* buffers out in frames */
	int lost;	   /* a buffer that could not go back */
	struct capture_buf bufs[NBUFS];
	unsigned int nbufs;
};

/* A frame lent from a buffer (frame first: it is freed as one). */
struct capture_loan {
	struct frame f;
	struct capture_mem *mem;
	unsigned int index;
};

struct capture {
	int fd;
	char driver[32], card[48];
	struct capture_mem *mem;
	int convert; /* libv4l2 converts: its buffers are not to be lent */
	int streaming;
	uint32_t pixfmt;
	enum frame_format format;
	unsigned int width, height, stride;
	size_t sizeimage;
	int full_range;
	int bt709;
	double fps;
	int input;
	int dv;
	uint64_t dropped;
	uint64_t lent, copied;
};

struct capture_fmt {
	const char *name;
	uint32_t pixfmt;
	enum frame_format format;
};

/* In order of preference for "auto". */
static const struct capture_fmt fmts[] = {
    {"mjpeg", V4L2_PIX_FMT_MJPEG, FRAME_JPEG},
    {"jpeg", V4L2_PIX_FMT_JPEG, FRAME_JPEG},
    {"yuyv", V4L2_PIX_FMT_YUYV, FRAME_YUYV},
    {"uyvy", V4L2_PIX_FMT_UYVY, FRAME_UYVY},
    {"nv12", V4L2_PIX_FMT_NV12, FRAME_NV12},
    {"rgb24", V4L2_PIX_FMT_RGB24, FRAME_RGB24},
    {"bgr24", V4L2_PIX_FMT_BGR24, FRAME_BGR24},
};
#define NFMTS (sizeof(fmts) / sizeof(fmts[0]))

static const struct {
	const char *name;
	v4l2_std_id id;
} stds[] = {
    {"pal", V4L2_STD_PAL},
    {"pal-b", V4L2_STD_PAL_B},
    {"pal-g", V4L2_STD_PAL_G},
    {"pal-i", V4L2_STD_PAL_I},
    {"pal-m", V4L2_STD_PAL_M},
    {"pal-n", V4L2_STD_PAL_N},
    {"pal-nc", V4L2_STD_PAL_Nc},
    {"pal-60", V4L2_STD_PAL_60},
    {"ntsc", V4L2_STD_NTSC},
    {"ntsc-m", V4L2_STD_NTSC_M},
    {"ntsc-jp", V4L2_STD_NTSC_M_JP},
    {"ntsc-443", V4L2_STD_NTSC_443},
    {"secam", V4L2_STD_SECAM},
    {"secam-l", V4L2_STD_SECAM_L},
};
#define NSTDS (sizeof(stds) / sizeof(stds[0]))

/* ioctl through libv4l2, retried on EINTR. */
static int
xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = v4l2_ioctl(fd, req, arg);
	while (r == -1 && errno == EINTR);
	return r;
}

/* Check a --format value. */
int
capture_check_format(const char *format)
{
	size_t i;

	if (format == NULL || strcasecmp(format, "auto") == 0)
		return 0;
	for (i = 0; i < NFMTS; i++)
		if (strcasecmp(format, fmts[i].name) == 0)
			return 0;
	return error_set(-EINVAL,
	    "unknown format \"%s\": use auto, mjpeg, yuyv, uyvy, nv12, rgb24 or bgr24",
	    format);
}

/* Check a --standard value. */
int
capture_check_standard(const char *standard)
{
	size_t i;

	if (standard == NULL || *standard == '\0')
		return 0;
	for (i = 0; i < NSTDS; i++)
		if (strcasecmp(standard, stds[i].name) == 0)
			return 0;
	return error_set(-EINVAL,
	    "unknown TV standard \"%s\": use pal, pal-m, pal-n, pal-60, ntsc, ntsc-jp, secam, ...",
	    standard);
}

/* The errno of a failed open as a capture error. */
static int
open_error(const char *dev, int err)
{
	if (err == ENOENT || err == ENODEV || err == ENXIO)
		return error_set(
		    -ENODEV, "no device: %s: %s", dev, strerror(err));
	return error_set(-EIO, "cannot open %s: %s", dev, strerror(err));
}

/* An EDID ioctl, not through libv4l2: capture_edid_read() and _write()
 * run on threads of their own with fds libv4l2 does not know (its fd table
 * is not for concurrent opens and closes). */
static int
edid_ioctl(int fd, unsigned long req, struct v4l2_edid *e)
{
	int r;

	do
		r = ioctl(fd, req, e);
	while (r == -1 && errno == EINTR);
	return r;
}

/*
 * The EDID on pad into buf (room for EDID_MAX_BLOCKS blocks): its length,
 * 0 when the pad holds none, -EOPNOTSUPP when there is no EDID pad.
 */
static int
pad_edid_get(int fd, int pad, uint8_t *buf)
{
	struct v4l2_edid e;

	memset(&e, 0, sizeof(e));
	e.pad = (uint32_t)pad;
	e.blocks = EDID_MAX_BLOCKS;
	e.edid = buf;
	if (edid_ioctl(fd, VIDIOC_G_EDID, &e) == -1) {
		if (errno == ENOTTY || errno == EINVAL)
			return error_set(-EOPNOTSUPP,
			    "the capture device has no EDID (it is not an HDMI input)");
		if (errno == ENODATA) /* the pad has none */
			return 0;
		return error_set(
		    -EIO, "cannot read the EDID: %s", strerror(errno));
	}
	return (int)(e.blocks * EDID_BLOCK);
}

/* Writes a checked EDID to pad (a hot-plug at the source). */
static int
pad_edid_set(int fd, int pad, const uint8_t *p, size_t len)
{
	struct v4l2_edid e;

	memset(&e, 0, sizeof(e));
	e.pad = (uint32_t)pad;
	e.blocks = (uint32_t)(len / EDID_BLOCK);
	e.edid = (uint8_t *)p;
	if (edid_ioctl(fd, VIDIOC_S_EDID, &e) == -1)
		return error_set(errno == EBUSY ? -EBUSY : -EIO,
		    "cannot load the EDID (%zu blocks): %s", len / EDID_BLOCK,
		    strerror(errno));
	return 0;
}

/*
 * Load cfg's EDID into the input's pad unless the device has it already
 * (each load is a hot-plug at the source, whose SOURCE_CHANGE reopens us);
 * without one, the built-in default into an empty pad (cfg->edid_fill).
 * A device without EDID pads is left alone.
 */
static int
capture_load_edid(struct capture *c, const struct capture_config *cfg)
{
	uint8_t have[EDID_MAX_BLOCKS * EDID_BLOCK];
	uint8_t dflt[EDID_MAX_BLOCKS * EDID_BLOCK];
	const uint8_t *want = cfg->edid;
	size_t want_len = cfg->edid_len;
	int n = pad_edid_get(c->fd, c->input, have);

	if (n == -EOPNOTSUPP)
		return 0;
	if (n < 0)
		return n;
	if (want == NULL) {
		if (n > 0 || !cfg->edid_fill)
			return 0;
		if ((n = edid_preset("default", dflt)) < 0)
			return n;
		want = dflt;
		want_len = (size_t)n;
		n = 0;
	}
	if (edid_same(have, (size_t)n, want, want_len))
		return 0;
	return pad_edid_set(c->fd, c->input, want, want_len);
}

/* Why the input has no link: "no EDID" when its pad holds none. */
static int
capture_no_link(struct capture *c)
{
	uint8_t have[EDID_MAX_BLOCKS * EDID_BLOCK];

	if (pad_edid_get(c->fd, c->input, have) == 0)
		return error_set(-ENOLINK,
		    "no EDID: the source sees no monitor (load one: POST /edid or --edid)");
	return error_set(-ENOLINK, "no signal");
}

/* Opens device for an EDID ioctl; its fd and the pad in *ret_pad. */
static int
edid_open(const char *device, int input, int *ret_pad)
{
	int fd = open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return open_error(device, errno);
	*ret_pad = input;
	if (input < 0 && ioctl(fd, VIDIOC_G_INPUT, ret_pad) == -1)
		*ret_pad = 0;
	return fd;
}

int
capture_edid_read(const char *device, int input, uint8_t *out)
{
	int pad, r, fd = edid_open(device, input, &pad);

	if (fd < 0)
		return fd;
	r = pad_edid_get(fd, pad, out);
	close(fd);
	return r;
}

int
capture_edid_write(const char *device, int input, const uint8_t *p, size_t len)
{
	uint8_t have[EDID_MAX_BLOCKS * EDID_BLOCK];
	int pad, r, fd = edid_open(device, input, &pad);

	if (fd < 0)
		return fd;
	r = pad_edid_get(fd, pad, have);
	if (r >= 0)
		r = pad_edid_set(fd, pad, p, len);
	close(fd);
	return r;
}

/* Select input and standard, load the EDID, query DV timings. */
static int
capture_setup_input(struct capture *c, const struct capture_config *cfg)
{
	struct v4l2_input in;
	struct v4l2_dv_timings t;
	v4l2_std_id std = 0;
	size_t i;
	int idx = 0, r;

	if (cfg->input >= 0) {
		idx = cfg->input;
		if (xioctl(c->fd, VIDIOC_S_INPUT, &idx) == -1)
			return error_set(-EINVAL, "cannot select input %d: %s",
			    cfg->input, strerror(errno));
	} else if (xioctl(c->fd, VIDIOC_G_INPUT, &idx) == -1)
		idx = 0;
	c->input = idx;
	memset(&in, 0, sizeof(in));
	in.index = (uint32_t)idx;
	if (xioctl(c->fd, VIDIOC_ENUMINPUT, &in) == -1)
		return 0; /* devices without inputs */
	if (cfg->standard != NULL && *cfg->standard != '\0') {
		for (i = 0; i < NSTDS; i++)
			if (strcasecmp(cfg->standard, stds[i].name) == 0)
				std = stds[i].id;
		if (!(in.capabilities & V4L2_IN_CAP_STD) ||
		    xioctl(c->fd, VIDIOC_S_STD, &std) == -1)
			return error_set(-EINVAL,
			    "input %d does not take the TV standard %s", idx,
			    cfg->standard);
	}
	if (in.capabilities & V4L2_IN_CAP_DV_TIMINGS) {
		c->dv = 1;
		if ((cfg->edid != NULL || cfg->edid_fill) &&
		    (r = capture_load_edid(c, cfg)) < 0)
			return r;
		memset(&t, 0, sizeof(t));
		if (xioctl(c->fd, VIDIOC_QUERY_DV_TIMINGS, &t) == -1) {
			if (errno == ENOLINK)
				return capture_no_link(c);
			if (errno == ENOLCK)
				return error_set(-ENOLCK, "no sync");
			if (errno == ERANGE)
				return error_set(
				    -ERANGE, "signal out of range");
			return error_set(-EIO, "cannot query DV timings: %s",
			    strerror(errno));
		}
		if (xioctl(c->fd, VIDIOC_S_DV_TIMINGS, &t) == -1)
			return error_set(
			    -EIO, "cannot set DV timings: %s", strerror(errno));
	}
	if (in.status & V4L2_IN_ST_NO_SIGNAL)
		return c->dv ? capture_no_link(c)
			     : error_set(-ENOLINK, "no signal");
	if (in.status & (V4L2_IN_ST_NO_SYNC | V4L2_IN_ST_NO_H_LOCK))
		return error_set(-ENOLCK, "no sync");
	return 0;
}

/* Pick a pixel format: wanted by name, or the best native one. */
static int
capture_pick_format(struct capture *c, const char *want)
{
	struct v4l2_fmtdesc d;
	int best = -1, best_emu = -1, emu;
	size_t i;
	char offered[256] = "";

	for (d.index = 0;; d.index++) {
		memset(&d.type, 0, sizeof(d) - sizeof(d.index));
		d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		if (xioctl(c->fd, VIDIOC_ENUM_FMT, &d) == -1)
			break;
		emu = (d.flags & V4L2_FMT_FLAG_EMULATED) != 0;
		if (!emu && strlen(offered) + 8 < sizeof(offered))
			snprintf(offered + strlen(offered),
			    sizeof(offered) - strlen(offered), "%s%.4s",
			    *offered ? ", " : "", (const char *)&d.pixelformat);
		for (i = 0; i < NFMTS; i++) {
			if (fmts[i].pixfmt != d.pixelformat)
				continue;
			if (want != NULL && strcasecmp(want, "auto") != 0 &&
			    strcasecmp(want, fmts[i].name) != 0 &&
			    !(fmts[i].format == FRAME_JPEG &&
				strcasecmp(want, "mjpeg") == 0))
				continue;
			if (!emu && (best < 0 || (int)i < best))
				best = (int)i;
			if (emu && (best_emu < 0 || (int)i < best_emu))
				best_emu = (int)i;
		}
	}
	if (best < 0)
		best = best_emu;
	if (best < 0)
		return error_set(-EINVAL,
		    "unsupported format: the device offers %s; capd takes MJPEG, YUYV, UYVY, NV12, RGB24, BGR24",
		    *offered ? offered : "nothing");
	c->pixfmt = fmts[best].pixfmt;
	c->format = fmts[best].format;
	return 0;
}

/* Set format and size; refuse a size the device changed. */
static int
capture_set_format(struct capture *c, const struct capture_config *cfg)
{
	struct v4l2_format f;
	struct v4l2_streamparm parm;

	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (xioctl(c->fd, VIDIOC_G_FMT, &f) == -1)
		return error_set(
		    -EIO, "cannot read the format: %s", strerror(errno));
	f.fmt.pix.pixelformat = c->pixfmt;
	if (cfg->width > 0 && cfg->height > 0) {
		f.fmt.pix.width = cfg->width;
		f.fmt.pix.height = cfg->height;
	}
	f.fmt.pix.field = V4L2_FIELD_ANY;
	f.fmt.pix.bytesperline = 0;
	if (xioctl(c->fd, VIDIOC_S_FMT, &f) == -1)
		return error_set(errno == EBUSY ? -EBUSY : -EIO,
		    "cannot set the format: %s", strerror(errno));
	if (f.fmt.pix.pixelformat != c->pixfmt)
		return error_set(-EINVAL,
		    "unsupported format: the device did not take %.4s",
		    (const char *)&c->pixfmt);
	if (cfg->width > 0 && cfg->height > 0 &&
	    (f.fmt.pix.width != cfg->width || f.fmt.pix.height != cfg->height))
		return error_set(-EINVAL,
		    "unsupported resolution %ux%u: the device offers %ux%u nearby",
		    cfg->width, cfg->height, f.fmt.pix.width, f.fmt.pix.height);
	if (c->format != FRAME_JPEG && f.fmt.pix.width % 2 != 0)
		return error_set(-EINVAL,
		    "unsupported resolution: odd width %u", f.fmt.pix.width);
	c->width = f.fmt.pix.width;
	c->height = f.fmt.pix.height;
	c->stride = f.fmt.pix.bytesperline;
	c->sizeimage = f.fmt.pix.sizeimage;
	if (c->stride == 0)
		c->stride =
		    (unsigned int)(frame_raw_size(c->format, c->width, 1));
	c->full_range =
	    f.fmt.pix.quantization == V4L2_QUANTIZATION_FULL_RANGE ||
	    (f.fmt.pix.quantization == V4L2_QUANTIZATION_DEFAULT &&
		(f.fmt.pix.colorspace == V4L2_COLORSPACE_JPEG ||
		    c->format == FRAME_RGB24 || c->format == FRAME_BGR24));
	c->bt709 = f.fmt.pix.ycbcr_enc == V4L2_YCBCR_ENC_709 ||
	    (f.fmt.pix.ycbcr_enc == V4L2_YCBCR_ENC_DEFAULT &&
		f.fmt.pix.colorspace == V4L2_COLORSPACE_REC709);

	memset(&parm, 0, sizeof(parm));
	parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (cfg->fps > 0) {
		parm.parm.capture.timeperframe.numerator = 1;
		parm.parm.capture.timeperframe.denominator = cfg->fps;
		(void)xioctl(c->fd, VIDIOC_S_PARM, &parm);
	}
	if (xioctl(c->fd, VIDIOC_G_PARM, &parm) == 0 &&
	    parm.parm.capture.timeperframe.numerator > 0)
		c->fps = (double)parm.parm.capture.timeperframe.denominator /
		    parm.parm.capture.timeperframe.numerator;
	return 0;
}

/* Buffers shared with the frames that will be lent from them. */
static struct capture_mem *
capture_mem_new(void)
{
	struct capture_mem *m = xcalloc(1, sizeof(*m));

	atomic_init(&m->refs, 1);
	pthread_mutex_init(&m->lock, NULL);
	m->fd = -1;
	for (unsigned int i = 0; i < NBUFS; i++)
		m->bufs[i].dmabuf = -1;
	return m;
}

/* Let go of the buffers; the last one out unmaps them. */
static void
capture_mem_unref(struct capture_mem *m)
{
	unsigned int i;

	if (atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	for (i = 0; i < m->nbufs; i++) {
		if (m->bufs[i].start != NULL)
			v4l2_munmap(m->bufs[i].start, m->bufs[i].length);
		if (m->bufs[i].dmabuf != -1)
			close(m->bufs[i].dmabuf);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* A lent frame's last reference went: its buffer back to the driver. */
static void
capture_loan_release(struct frame *f)
{
	struct capture_loan *l = (struct capture_loan *)f;
	struct capture_mem *m = l->mem;
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = l->index;
	pthread_mutex_lock(&m->lock);
	m->lent--;
	if (m->fd != -1 && xioctl(m->fd, VIDIOC_QBUF, &b) == -1)
		m->lost = 1; /* capture_check() reopens */
	pthread_mutex_unlock(&m->lock);
	free(l);
	capture_mem_unref(m);
}

/* Export buffer i as a dmabuf for an encoder to import, where the driver
 * can (not libv4l2's converted buffers: those are not the device's). */
static void
capture_export(struct capture *c, unsigned int i)
{
	struct v4l2_exportbuffer e;

	if (c->convert)
		return;
	memset(&e, 0, sizeof(e));
	e.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	e.index = i;
	e.flags = O_RDONLY | O_CLOEXEC;
	if (xioctl(c->fd, VIDIOC_EXPBUF, &e) == 0)
		c->mem->bufs[i].dmabuf = e.fd;
}

/* Request, map and queue the buffers; start streaming. */
static int
capture_start(struct capture *c)
{
	struct v4l2_requestbuffers rb;
	struct v4l2_buffer b;
	struct v4l2_event_subscription sub;
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned int i;

	memset(&rb, 0, sizeof(rb));
	rb.count = NBUFS;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_MMAP;
	if (xioctl(c->fd, VIDIOC_REQBUFS, &rb) == -1)
		return error_set(errno == EBUSY ? -EBUSY : -EIO,
		    "cannot get buffers: %s", strerror(errno));
	if (rb.count < 2)
		return error_set(-EIO, "the device gave %u buffers", rb.count);
	c->mem->nbufs = rb.count < NBUFS ? rb.count : NBUFS;
	for (i = 0; i < c->mem->nbufs; i++) {
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		if (xioctl(c->fd, VIDIOC_QUERYBUF, &b) == -1)
			return error_set(-EIO, "cannot query buffer %u: %s", i,
			    strerror(errno));
		c->mem->bufs[i].length = b.length;
		c->mem->bufs[i].start = v4l2_mmap(NULL, b.length,
		    PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, b.m.offset);
		if (c->mem->bufs[i].start == MAP_FAILED) {
			c->mem->bufs[i].start = NULL;
			return error_set(-EIO, "cannot map buffer %u: %s", i,
			    strerror(errno));
		}
		capture_export(c, i);
		if (xioctl(c->fd, VIDIOC_QBUF, &b) == -1)
			return error_set(-EIO, "cannot queue buffer %u: %s", i,
			    strerror(errno));
	}
	memset(&sub, 0, sizeof(sub));
	sub.type = V4L2_EVENT_SOURCE_CHANGE;
	(void)xioctl(c->fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
	if (xioctl(c->fd, VIDIOC_STREAMON, &type) == -1)
		return error_set(errno == ENOLINK ? -ENOLINK : -EIO,
		    "cannot start streaming: %s", strerror(errno));
	c->streaming = 1;
	return 0;
}

/* Open and negotiate, with or without libv4l2's format conversion. */
static int
capture_open_mode(
    const struct capture_config *cfg, int convert, struct capture **ret)
{
	struct capture *c = xcalloc(1, sizeof(*c));
	struct v4l2_capability cap;
	uint32_t caps;
	int fd, r;

	if ((fd = open(cfg->device, O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1) {
		r = open_error(cfg->device, errno);
		free(c);
		return r;
	}
	if ((c->fd = v4l2_fd_open(fd, convert ? 0 : V4L2_DISABLE_CONVERSION)) ==
	    -1) {
		r = open_error(cfg->device, errno);
		close(fd);
		free(c);
		return r;
	}
	c->convert = convert;
	c->mem = capture_mem_new();
	c->mem->fd = c->fd;
	memset(&cap, 0, sizeof(cap));
	if (xioctl(c->fd, VIDIOC_QUERYCAP, &cap) == -1) {
		r = error_set(
		    -ENODEV, "no device: %s is not a V4L2 device", cfg->device);
		goto fail;
	}
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps
						       : cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
		r = error_set(-ENODEV,
		    "no device: %s cannot capture video with streaming I/O",
		    cfg->device);
		goto fail;
	}
	snprintf(c->driver, sizeof(c->driver), "%s", (char *)cap.driver);
	snprintf(c->card, sizeof(c->card), "%s", (char *)cap.card);
	if ((r = capture_setup_input(c, cfg)) < 0 ||
	    (r = capture_pick_format(c, cfg->format)) < 0 ||
	    (r = capture_set_format(c, cfg)) < 0 || (r = capture_start(c)) < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	capture_close(c);
	return r;
}

/*
 * Native formats first: libv4l2's conversion costs CPU and, on some
 * versions, logs every EAGAIN; it is used only for a device that offers
 * nothing we take.
 */
int
capture_open(const struct capture_config *cfg, struct capture **ret)
{
	int r = capture_open_mode(cfg, 0, ret);

	if (r == -EINVAL && error_get() != NULL &&
	    strncmp(error_get(), "unsupported format", 18) == 0)
		r = capture_open_mode(cfg, 1, ret);
	return r;
}

/* Stop and close; unmap once no frame is lent. */
void
capture_close(struct capture *c)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned int lent;

	if (c == NULL)
		return;
	if (c->streaming)
		(void)xioctl(c->fd, VIDIOC_STREAMOFF, &type);
	pthread_mutex_lock(&c->mem->lock);
	c->mem->fd = -1; /* from now on lent buffers only get unmapped */
	lent = c->mem->lent;
	pthread_mutex_unlock(&c->mem->lock);
	/* nothing lent (always so for libv4l2's converted formats): unmap
	 * before closing, as libv4l2 wants; else the mappings outlive the fd,
	 * which the kernel allows */
	if (lent == 0) {
		capture_mem_unref(c->mem);
		v4l2_close(c->fd);
	} else {
		v4l2_close(c->fd);
		capture_mem_unref(c->mem);
	}
	free(c);
}

/* The fd to watch for EV_READ. */
int
capture_fd(const struct capture *c)
{
	return c->fd;
}

/* What was negotiated. */
void
capture_get_info(const struct capture *c, struct capture_info *info)
{
	info->driver = c->driver;
	info->card = c->card;
	info->width = c->width;
	info->height = c->height;
	info->format = frame_format_name(c->format);
	info->fps = c->fps;
	info->input = c->input;
	info->dv_timings = c->dv;
}

/* Broken frames dropped. */
uint64_t
capture_dropped(const struct capture *c)
{
	return c->dropped;
}

/* Raw frames lent (no copy) and copied. */
void
capture_get_counts(const struct capture *c, uint64_t *lent, uint64_t *copied)
{
	*lent = c->lent;
	*copied = c->copied;
}

/* Give a buffer back to the driver. */
static int
capture_requeue(struct capture *c, struct v4l2_buffer *b)
{
	if (xioctl(c->fd, VIDIOC_QBUF, b) == -1)
		return errno == ENODEV ? -ENODEV : -EIO;
	return 0;
}

/* Lend the buffer as a frame, if two others stay with the driver. */
static struct frame *
capture_lend(struct capture *c, const struct v4l2_buffer *b)
{
	struct capture_mem *m = c->mem;
	struct capture_loan *l;

	if (c->convert)
		return NULL;
	pthread_mutex_lock(&m->lock);
	if (m->nbufs - m->lent - 1 < DRIVER_KEEPS) {
		pthread_mutex_unlock(&m->lock);
		return NULL;
	}
	m->lent++;
	pthread_mutex_unlock(&m->lock);
	atomic_fetch_add(&m->refs, 1);
	l = xcalloc(1, sizeof(*l));
	l->mem = m;
	l->index = b->index;
	atomic_init(&l->f.refs, 1);
	l->f.data = m->bufs[b->index].start;
	l->f.cap = m->bufs[b->index].length;
	l->f.release = capture_loan_release;
	return &l->f;
}

/* Turn a dequeued buffer into a frame; *lent set when the frame holds the
 * buffer (it goes back when the frame is released). */
static int
capture_to_frame(struct capture *c, const struct v4l2_buffer *b,
    struct frame_pool *pool, struct frame **ret, int *lent)
{
	const uint8_t *p = c->mem->bufs[b->index].start;
	size_t n = b->bytesused;
	struct jpeg_info info;
	struct frame *f;
	int64_t ts, mono = frame_mono_us();
	int r;

	*lent = 0;
	if (n == 0 && c->format != FRAME_JPEG)
		n = c->sizeimage; /* some old drivers leave bytesused at 0 */
	if (n > c->mem->bufs[b->index].length)
		n = c->mem->bufs[b->index].length;
	if (c->format == FRAME_JPEG) {
		if ((r = jpeg_check(p, n, &info)) < 0)
			return r;
		f = frame_pool_get(pool, jpeg_fixed_size(&info));
		f->len = jpeg_fix(p, &info, f->data);
		f->width = info.width;
		f->height = info.height;
	} else {
		if (n < (size_t)c->stride * (c->height - 1) +
			frame_raw_size(c->format, c->width, 1))
			return error_set(-EINVAL, "short frame: %zu bytes", n);
		if ((f = capture_lend(c, b)) != NULL) {
			*lent = 1;
			c->lent++;
		} else {
			f = frame_pool_get(pool, n);
			memcpy(f->data, p, n);
			c->copied++;
		}
		f->len = n;
		f->width = c->width;
		f->height = c->height;
		f->stride = c->stride;
		f->full_range = c->full_range;
		f->bt709 = c->bt709;
	}
	f->format = c->format;
	ts = (int64_t)b->timestamp.tv_sec * 1000000 + b->timestamp.tv_usec;
	if ((b->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) ==
		V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC &&
	    ts > 0 && ts <= mono)
		f->mono_us = ts;
	else
		f->mono_us = mono;
	f->ts_us = frame_now_us() - (mono - f->mono_us);
	*ret = f;
	return 0;
}

/* Dequeue all that is ready; keep the newest. */
int
capture_grab(
    struct capture *c, struct frame_pool *pool, int want, struct frame **ret)
{
	struct v4l2_buffer b, newest;
	struct pollfd pfd = {c->fd, POLLIN, 0};
	int have = 0, lent, r;

	for (;;) {
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		/* after the first, only what is ready: no EAGAIN round trip */
		if (have && poll(&pfd, 1, 0) <= 0)
			break;
		if (xioctl(c->fd, VIDIOC_DQBUF, &b) == -1) {
			if (errno == EAGAIN)
				break;
			if (have)
				(void)capture_requeue(c, &newest);
			if (errno == ENODEV)
				return error_set(
				    -ENODEV, "no device: the device is gone");
			return error_set(
			    -EIO, "cannot dequeue: %s", strerror(errno));
		}
		if (b.index >= c->mem->nbufs) { /* the driver's mistake */
			if (have)
				(void)capture_requeue(c, &newest);
			return error_set(-EIO,
			    "the device returned buffer %u of %u", b.index,
			    c->mem->nbufs);
		}
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			c->dropped++;
			if ((r = capture_requeue(c, &b)) < 0)
				return r;
			continue;
		}
		if (have && (r = capture_requeue(c, &newest)) < 0)
			return r;
		newest = b;
		have = 1;
	}
	if (!have)
		return -EAGAIN;
	r = 0;
	lent = 0;
	if (want && (r = capture_to_frame(c, &newest, pool, ret, &lent)) < 0)
		c->dropped++;
	if (!lent && capture_requeue(c, &newest) < 0)
		return error_set(-ENODEV, "no device: cannot requeue");
	return want ? r : 0;
}

/* Events and input status. */
int
capture_check(struct capture *c)
{
	struct pollfd pfd = {c->fd, POLLPRI, 0};
	struct v4l2_event ev;
	struct v4l2_input in;
	struct v4l2_dv_timings t;
	int changed = 0, lost;

	pthread_mutex_lock(&c->mem->lock);
	lost = c->mem->lost;
	pthread_mutex_unlock(&c->mem->lock);
	if (lost)
		return error_set(
		    -ERESTART, "a buffer could not go back to the driver");
	if (poll(&pfd, 1, 0) > 0) {
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL) &&
		    !(pfd.revents & POLLPRI))
			return error_set(
			    -ENODEV, "no device: the device is gone");
		while (xioctl(c->fd, VIDIOC_DQEVENT, &ev) == 0)
			if (ev.type == V4L2_EVENT_SOURCE_CHANGE)
				changed = 1;
	}
	if (changed)
		return error_set(-ERESTART, "the source changed");
	memset(&in, 0, sizeof(in));
	in.index = (uint32_t)c->input;
	if (xioctl(c->fd, VIDIOC_ENUMINPUT, &in) == -1) {
		if (errno == ENODEV)
			return error_set(
			    -ENODEV, "no device: the device is gone");
		return 0;
	}
	if (in.status & V4L2_IN_ST_NO_SIGNAL)
		return c->dv ? capture_no_link(c)
			     : error_set(-ENOLINK, "no signal");
	if (in.status & (V4L2_IN_ST_NO_SYNC | V4L2_IN_ST_NO_H_LOCK))
		return error_set(-ENOLCK, "no sync");
	if (c->dv) {
		memset(&t, 0, sizeof(t));
		if (xioctl(c->fd, VIDIOC_QUERY_DV_TIMINGS, &t) == -1) {
			if (errno == ENOLINK)
				return capture_no_link(c);
			if (errno == ENOLCK)
				return error_set(-ENOLCK, "no sync");
		} else if (t.bt.width != c->width || t.bt.height != c->height)
			return error_set(-ERESTART, "the source changed");
	}
	return 0;
}

/* Does the device offer w x h in our format? */
int
capture_check_size(struct capture *c, unsigned int w, unsigned int h)
{
	struct v4l2_frmsizeenum fs;
	char offered[256] = "";

	for (fs.index = 0;; fs.index++) {
		fs.pixel_format = c->pixfmt;
		if (xioctl(c->fd, VIDIOC_ENUM_FRAMESIZES, &fs) == -1)
			break;
		if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
			if (fs.discrete.width == w && fs.discrete.height == h)
				return 0;
			if (strlen(offered) + 24 < sizeof(offered))
				snprintf(offered + strlen(offered),
				    sizeof(offered) - strlen(offered),
				    "%s%ux%u", *offered ? ", " : "",
				    fs.discrete.width, fs.discrete.height);
			continue;
		}
		if (w >= fs.stepwise.min_width && w <= fs.stepwise.max_width &&
		    h >= fs.stepwise.min_height &&
		    h <= fs.stepwise.max_height &&
		    (w - fs.stepwise.min_width) %
			    (fs.stepwise.step_width ? fs.stepwise.step_width
						    : 1) ==
			0 &&
		    (h - fs.stepwise.min_height) %
			    (fs.stepwise.step_height ? fs.stepwise.step_height
						     : 1) ==
			0)
			return 0;
		return error_set(-EINVAL,
		    "unsupported resolution %ux%u: the device takes %ux%u to %ux%u",
		    w, h, fs.stepwise.min_width, fs.stepwise.min_height,
		    fs.stepwise.max_width, fs.stepwise.max_height);
	}
	if (fs.index == 0)
		return 0; /* the device does not say: let S_FMT decide */
	return error_set(-EINVAL,
	    "unsupported resolution %ux%u: the device offers %s", w, h,
	    offered);
}

int
capture_frame_dmabuf(const struct frame *f, unsigned int *ret_slot)
{
	const struct capture_loan *l = (const struct capture_loan *)f;

	if (f->release != capture_loan_release ||
	    l->mem->bufs[l->index].dmabuf == -1)
		return -1;
	if (ret_slot != NULL)
		*ret_slot = l->index;
	return l->mem->bufs[l->index].dmabuf;
}
