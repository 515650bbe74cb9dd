/*
 * m2m.c -- V4L2 stateful memory-to-memory encoder (see m2m.h).
 *
 * Order of the interface (dev-encoder.rst): the coded format on CAPTURE
 * first, then the raw format and size on OUTPUT, the crop on OUTPUT if the
 * driver did not take the whole frame, the frame rate; then buffers on both
 * queues and STREAMON.  Encoding is synchronous: queue one OUTPUT buffer,
 * wait for its CAPTURE buffer, copy the coded bytes out and queue the
 * CAPTURE buffer again at once (the buffers: m2m-queue.c).  A new size
 * drains with V4L2_ENC_CMD_STOP until the buffer flagged LAST, then stops
 * both queues and starts over.
 */
#include "m2m.h"
#include "m2m-int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

static uint64_t
m2m_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int
m2m_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int
m2m_fail(struct m2m *m, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return err == -ENXIO ? -ENODEV : err;
}

/* Whether fd is an encoder with coded on CAPTURE: 1 yes (mplane set). */
static int
m2m_is_encoder(int fd, uint32_t coded, struct m2m_device *d)
{
	struct v4l2_capability cap;
	struct v4l2_fmtdesc fd_;
	uint32_t caps;

	memset(&cap, 0, sizeof(cap));
	if (m2m_ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0)
		return 0;
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps
						       : cap.capabilities;
	if (!(caps & (V4L2_CAP_VIDEO_M2M | V4L2_CAP_VIDEO_M2M_MPLANE)) ||
	    !(caps & V4L2_CAP_STREAMING))
		return 0;
	d->mplane = !(caps & V4L2_CAP_VIDEO_M2M);
	snprintf(d->driver, sizeof(d->driver), "%s", (char *)cap.driver);
	snprintf(d->card, sizeof(d->card), "%s", (char *)cap.card);
	for (uint32_t i = 0;; i++) {
		memset(&fd_, 0, sizeof(fd_));
		fd_.index = i;
		fd_.type = d->mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
				     : V4L2_BUF_TYPE_VIDEO_CAPTURE;
		if (m2m_ioctl(fd, VIDIOC_ENUM_FMT, &fd_) < 0)
			return 0;
		if (fd_.pixelformat == coded)
			return 1;
	}
}

static int
video_name(const char *n)
{
	if (strncmp(n, "video", 5) != 0 || !n[5])
		return 0;
	for (n += 5; *n; n++)
		if (*n < '0' || *n > '9')
			return 0;
	return 1;
}

static int
m2m_cmp_dev(const void *a, const void *b)
{
	const struct m2m_device *x = a, *y = b;
	size_t lx = strlen(x->path), ly = strlen(y->path);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->path, y->path);
}

int
m2m_probe(uint32_t coded, struct m2m_device *ret, int max)
{
	DIR *dir = opendir("/dev");
	struct dirent *e;
	int n = 0;

	if (!dir)
		return 0;
	while ((e = readdir(dir)) && n < max) {
		struct m2m_device d;
		int fd;

		if (!video_name(e->d_name))
			continue;
		memset(&d, 0, sizeof(d));
		snprintf(d.path, sizeof(d.path), "/dev/%s", e->d_name);
		fd = open(d.path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (m2m_is_encoder(fd, coded, &d))
			ret[n++] = d;
		close(fd);
	}
	closedir(dir);
	qsort(ret, n, sizeof(*ret), m2m_cmp_dev);
	return n;
}

/* S_FMT on one queue; w/h 0 for the coded side. */
static int
m2m_set_fmt(struct m2m *m, uint32_t type, uint32_t pixfmt, unsigned int w,
    unsigned int h, struct v4l2_format *f)
{
	int r;

	memset(f, 0, sizeof(*f));
	f->type = type;
	if (m->info.dev.mplane) {
		f->fmt.pix_mp.pixelformat = pixfmt;
		f->fmt.pix_mp.width = w;
		f->fmt.pix_mp.height = h;
		f->fmt.pix_mp.num_planes = 1;
		f->fmt.pix_mp.field = V4L2_FIELD_NONE;
	} else {
		f->fmt.pix.pixelformat = pixfmt;
		f->fmt.pix.width = w;
		f->fmt.pix.height = h;
		f->fmt.pix.field = V4L2_FIELD_NONE;
	}
	if ((r = m2m_ioctl(m->fd, VIDIOC_S_FMT, f)) < 0)
		return r;
	if ((m->info.dev.mplane ? f->fmt.pix_mp.pixelformat
				: f->fmt.pix.pixelformat) != pixfmt)
		return -EINVAL;
	return 0;
}

/* The crop of the OUTPUT queue to the whole frame, where it has one. */
static void
m2m_set_crop(struct m2m *m, unsigned int w, unsigned int h)
{
	struct v4l2_selection s;

	memset(&s, 0, sizeof(s));
	s.type = V4L2_BUF_TYPE_VIDEO_OUTPUT; /* the API takes the plain type */
	s.target = V4L2_SEL_TGT_CROP;
	if (m2m_ioctl(m->fd, VIDIOC_G_SELECTION, &s) < 0)
		return;
	if (s.r.left == 0 && s.r.top == 0 && s.r.width == w && s.r.height == h)
		return;
	s.r.left = s.r.top = 0;
	s.r.width = w;
	s.r.height = h;
	(void)m2m_ioctl(m->fd, VIDIOC_S_SELECTION, &s);
}

static void
m2m_set_fps(struct m2m *m, unsigned int fps)
{
	struct v4l2_streamparm p;

	if (!fps)
		return;
	memset(&p, 0, sizeof(p));
	p.type = m->out.type;
	p.parm.output.timeperframe.numerator = 1;
	p.parm.output.timeperframe.denominator = fps;
	(void)m2m_ioctl(m->fd, VIDIOC_S_PARM, &p);
}

/* Formats on both queues (coded first), crop and rate. */
static int
m2m_negotiate(struct m2m *m, unsigned int w, unsigned int h)
{
	struct v4l2_format f;
	unsigned int gw, gh;
	int r;

	r = m2m_set_fmt(m, m->cap.type, m->cfg.coded, w, h, &f);
	if (r < 0)
		return m2m_fail(m, r,
		    "%s does not take the coded format on CAPTURE",
		    m->info.dev.path);
	r = m2m_set_fmt(m, m->out.type, m->cfg.raw, w, h, &f);
	if (r < 0)
		return m2m_fail(m, r, "%s does not take the raw format %.4s",
		    m->info.dev.path, (const char *)&m->cfg.raw);
	gw = m->info.dev.mplane ? f.fmt.pix_mp.width : f.fmt.pix.width;
	gh = m->info.dev.mplane ? f.fmt.pix_mp.height : f.fmt.pix.height;
	if (gw != w || gh != h)
		return m2m_fail(m, -EINVAL, "%s takes %ux%u, not %ux%u",
		    m->info.dev.path, gw, gh, w, h);
	m->info.width = w;
	m->info.height = h;
	m->info.raw_size = m->info.dev.mplane
	    ? f.fmt.pix_mp.plane_fmt[0].sizeimage
	    : f.fmt.pix.sizeimage;
	m->info.bytesperline = m->info.dev.mplane
	    ? f.fmt.pix_mp.plane_fmt[0].bytesperline
	    : f.fmt.pix.bytesperline;
	m2m_set_crop(m, w, h);
	m2m_set_fps(m, m->cfg.fps);
	return 0;
}

/* Negotiate, allocate, queue the CAPTURE buffers and STREAMON both. */
static int
m2m_start(struct m2m *m, unsigned int w, unsigned int h)
{
	int r;

	if ((r = m2m_negotiate(m, w, h)) < 0)
		return r;
	m->cap.memory = V4L2_MEMORY_MMAP;
	if ((r = m2m_queue_reqbufs(m, &m->cap, M2M_NBUF)) < 0 ||
	    (r = m2m_queue_map(m, &m->cap)) < 0)
		return m2m_fail(m, r, "%s: no CAPTURE buffers: %s",
		    m->info.dev.path, strerror(-r));
	if ((r = m2m_queue_alloc_out(m)) < 0)
		return r;
	for (unsigned int i = 0; i < m->cap.n; i++)
		if ((r = m2m_queue_cap(m, i)) < 0)
			return m2m_fail(m, r, "%s: QBUF: %s", m->info.dev.path,
			    strerror(-r));
	if ((r = m2m_ioctl(m->fd, VIDIOC_STREAMON, &m->out.type)) < 0 ||
	    (r = m2m_ioctl(m->fd, VIDIOC_STREAMON, &m->cap.type)) < 0)
		return m2m_fail(
		    m, r, "%s: STREAMON: %s", m->info.dev.path, strerror(-r));
	m->streaming = 1;
	return 0;
}

/* H.264 Annex-B: an IDR slice (NAL type 5) anywhere in the buffer. */
static int
m2m_h264_idr(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 3 < n; i++)
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1 &&
		    (p[i + 3] & 0x1f) == 5)
			return 1;
	return 0;
}

int
m2m_coded_keyframe(uint32_t coded, const uint8_t *p, size_t n)
{
	switch (coded) {
	case V4L2_PIX_FMT_H264:
		return m2m_h264_idr(p, n);
	case V4L2_PIX_FMT_FWHT:
		/* struct fwht_cframe_hdr: magic1, magic2, version, width,
		 * height, flags (big-endian), ...; I-frame is flag bit 10 */
		if (n < 24 || memcmp(p, "OOOO\xff\xff\xff\xff", 8) != 0)
			return 0;
		return (p[22] & 0x04) != 0; /* bit 10 of the BE word at 20 */
	default:
		return 0;
	}
}

/* Drain: ENC_CMD_STOP, then CAPTURE buffers up to the LAST one. */
static int
m2m_drain(struct m2m *m)
{
	struct v4l2_encoder_cmd c;
	struct m2m_packet p;
	int r;

	if (!m->streaming)
		return 0;
	memset(&c, 0, sizeof(c));
	c.cmd = V4L2_ENC_CMD_STOP;
	if ((r = m2m_ioctl(m->fd, VIDIOC_ENCODER_CMD, &c)) < 0)
		return r == -ENOTTY ? 0
				    : m2m_fail(m, r, "%s: ENC_CMD_STOP: %s",
					  m->info.dev.path, strerror(-r));
	for (int i = 0; i < 64; i++)
		if ((r = m2m_queue_next_cap(m, &p)) != 0)
			return r == 1 ? 0 : r;
	return m2m_fail(
	    m, -EIO, "%s: no LAST buffer after 64", m->info.dev.path);
}

/* Stop both queues and free their buffers. */
static void
m2m_stop(struct m2m *m)
{
	if (m->streaming) {
		(void)m2m_ioctl(m->fd, VIDIOC_STREAMOFF, &m->out.type);
		(void)m2m_ioctl(m->fd, VIDIOC_STREAMOFF, &m->cap.type);
		m->streaming = 0;
	}
	m2m_queue_unmap(&m->out);
	m2m_queue_unmap(&m->cap);
	if (m->fd >= 0) {
		(void)m2m_queue_reqbufs(m, &m->out, 0);
		(void)m2m_queue_reqbufs(m, &m->cap, 0);
	}
}

int
m2m_resize(struct m2m *m, unsigned int w, unsigned int h)
{
	int r;

	if (m->fd < 0)
		return -ENODEV;
	if ((r = m2m_drain(m)) < 0 && r != -EPIPE)
		return r;
	m2m_stop(m);
	m->cfg.width = w;
	m->cfg.height = h;
	m->restart = 0;
	m->info.restarts++;
	if ((r = m2m_start(m, w, h)) < 0)
		return r;
	return m2m_set_params(m, m->cfg.bitrate, m->cfg.gop, 0);
}

int
m2m_encode(struct m2m *m, const struct m2m_frame *in, struct m2m_packet *ret)
{
	uint64_t t0;
	int i, r;

	if (m->fd < 0)
		return -ENODEV;
	/* feed auto: a frame without a dmabuf (one capture.c copied) moves
	 * the OUTPUT queue to copies for good */
	if (m->info.dmabuf && in->dmabuf_fd < 0 && in->data &&
	    m->cfg.feed == M2M_FEED_AUTO) {
		m->cfg.feed = M2M_FEED_COPY;
		m->restart = 1;
	}
	if (m->restart && (r = m2m_resize(m, m->cfg.width, m->cfg.height)) < 0)
		return r;
	t0 = m2m_now_us();
	if ((i = m2m_queue_free_out(m, in)) < 0)
		return i;
	if ((r = m2m_queue_out(m, (unsigned int)i, in)) < 0)
		return r;
	if ((r = m2m_queue_next_cap(m, ret)) < 0)
		return r;
	if (r == 1)
		return m2m_fail(
		    m, -EIO, "%s ended the stream unasked", m->info.dev.path);
	if ((r = m2m_queue_reclaim_out(m)) < 0)
		return r;
	m->info.frames++;
	m->info.last_us = m2m_now_us() - t0;
	m->info.total_us += m->info.last_us;
	return 0;
}

/* Whether the driver has control id. */
static int
m2m_has_ctrl(struct m2m *m, uint32_t id)
{
	struct v4l2_queryctrl q;

	memset(&q, 0, sizeof(q));
	q.id = id;
	return m2m_ioctl(m->fd, VIDIOC_QUERYCTRL, &q) == 0 &&
	    !(q.flags & V4L2_CTRL_FLAG_DISABLED);
}

static int
m2m_set_ctrl(struct m2m *m, uint32_t id, int32_t v)
{
	struct v4l2_ext_control c = {.id = id, .value = v};
	struct v4l2_ext_controls cs = {
	    .which = V4L2_CTRL_WHICH_CUR_VAL, .count = 1, .controls = &c};
	int r = m2m_ioctl(m->fd, VIDIOC_S_EXT_CTRLS, &cs);

	if (r < 0)
		return m2m_fail(m, r, "%s: control %#x = %d: %s",
		    m->info.dev.path, id, v, strerror(-r));
	return 0;
}

int
m2m_set_params(
    struct m2m *m, unsigned int bitrate, unsigned int gop, unsigned int fps)
{
	int r;

	if (m->fd < 0)
		return -ENODEV;
	if (bitrate > INT32_MAX || gop > INT32_MAX)
		return m2m_fail(m, -EINVAL, "bitrate or gop out of range");
	if (bitrate)
		m->cfg.bitrate = bitrate;
	if (gop)
		m->cfg.gop = gop;
	if (bitrate && m->info.has_bitrate &&
	    (r = m2m_set_ctrl(m, V4L2_CID_MPEG_VIDEO_BITRATE, bitrate)) < 0)
		return r;
	if (gop && m->info.has_gop &&
	    (r = m2m_set_ctrl(m, V4L2_CID_MPEG_VIDEO_GOP_SIZE, gop)) < 0)
		return r;
	if (gop && m->info.has_iperiod &&
	    (r = m2m_set_ctrl(m, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD, gop)) < 0)
		return r;
	if (fps) {
		m->cfg.fps = fps;
		m2m_set_fps(m, fps);
	}
	return 0;
}

/* H.264 as the stream needs it, where the driver has the controls (none
 * is required; a refused value is left as the driver has it): constrained
 * baseline (else baseline), no B-frames, SPS/PPS before every IDR so a new
 * client can start at any keyframe. */
static void
m2m_h264_setup(struct m2m *m)
{
	struct v4l2_ext_control c = {.id = V4L2_CID_MPEG_VIDEO_H264_PROFILE};
	struct v4l2_ext_controls cs = {
	    .which = V4L2_CTRL_WHICH_CUR_VAL, .count = 1, .controls = &c};

	m->info.has_iperiod =
	    m2m_has_ctrl(m, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD);
	if (m2m_has_ctrl(m, V4L2_CID_MPEG_VIDEO_H264_PROFILE)) {
		c.value = V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE;
		if (m2m_ioctl(m->fd, VIDIOC_S_EXT_CTRLS, &cs) < 0) {
			c.value = V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE;
			(void)m2m_ioctl(m->fd, VIDIOC_S_EXT_CTRLS, &cs);
		}
	}
	if (m2m_has_ctrl(m, V4L2_CID_MPEG_VIDEO_B_FRAMES))
		(void)m2m_set_ctrl(m, V4L2_CID_MPEG_VIDEO_B_FRAMES, 0);
	if (m2m_has_ctrl(m, V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER))
		(void)m2m_set_ctrl(m, V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER, 1);
	m->err[0] = '\0'; /* what was refused is no error */
}

int
m2m_force_keyframe(struct m2m *m)
{
	if (m->fd < 0)
		return -ENODEV;
	if (m->info.has_force_key)
		return m2m_set_ctrl(m, V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, 1);
	m->restart = 1; /* a new stream starts on a keyframe */
	return 0;
}

/* The device of cfg: the given path, checked, or the first found. */
static int
m2m_find(struct m2m *m)
{
	struct m2m_device d[8];
	const char *path = m->cfg.device;
	int n;

	if (!path) {
		if ((n = m2m_probe(m->cfg.coded, d, 8)) == 0)
			return m2m_fail(m, -ENOENT,
			    "no V4L2 memory-to-memory "
			    "encoder for %.4s",
			    (const char *)&m->cfg.coded);
		path = d[0].path;
	}
	snprintf(m->info.dev.path, sizeof(m->info.dev.path), "%s", path);
	m->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (m->fd < 0)
		return m2m_fail(m, errno == ENXIO ? -ENODEV : -errno, "%s: %s",
		    path, strerror(errno));
	if (!m2m_is_encoder(m->fd, m->cfg.coded, &m->info.dev))
		return m2m_fail(m, -EINVAL,
		    "%s is no memory-to-memory encoder "
		    "for %.4s",
		    path, (const char *)&m->cfg.coded);
	return 0;
}

int
m2m_open(
    const struct m2m_config *cfg, struct m2m **ret, char *err, size_t errlen)
{
	struct m2m *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	if (m->cfg.timeout_ms <= 0)
		m->cfg.timeout_ms = 2000;
	m->fd = -1;
	if ((r = m2m_find(m)) < 0)
		goto out;
	m->cap.type = m->info.dev.mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
					 : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	m->out.type = m->info.dev.mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
					 : V4L2_BUF_TYPE_VIDEO_OUTPUT;
	m->info.has_bitrate = m2m_has_ctrl(m, V4L2_CID_MPEG_VIDEO_BITRATE);
	m->info.has_gop = m2m_has_ctrl(m, V4L2_CID_MPEG_VIDEO_GOP_SIZE);
	m->info.has_force_key =
	    m2m_has_ctrl(m, V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME);
	if (cfg->coded == V4L2_PIX_FMT_H264)
		m2m_h264_setup(m);
	if ((r = m2m_start(m, cfg->width, cfg->height)) < 0 ||
	    (r = m2m_set_params(m, cfg->bitrate, cfg->gop, 0)) < 0)
		goto out;
	*ret = m;
	return 0;
out:
	if (err)
		snprintf(err, errlen, "%s", m->err);
	m2m_free(m);
	return r;
}

void
m2m_get_info(const struct m2m *m, struct m2m_info *ret)
{
	*ret = m->info;
}

const char *
m2m_error(const struct m2m *m)
{
	return m->err;
}

void
m2m_free(struct m2m *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		(void)m2m_drain(m);
	m2m_stop(m);
	if (m->fd >= 0)
		close(m->fd);
	free(m->coded);
	free(m);
}
