/*
 * m2m.h -- a V4L2 stateful memory-to-memory video encoder (the kernel's
 * "Memory-to-Memory Stateful Video Encoder Interface", dev-encoder.rst):
 * the Raspberry Pi 4's bcm2835-codec for H.264, vicodec for FWHT in tests.
 *
 * The encoder is found by what it can do (V4L2_CAP_VIDEO_M2M or _MPLANE and
 * the coded format on its CAPTURE queue), never by a path.  Raw frames go
 * in on the OUTPUT queue by DMABUF import of the capture device's buffers
 * when both drivers allow it, else by copy into mmap'd buffers; one coded
 * buffer comes out per frame.  Every wait is a poll() with a timeout, but a
 * call still waits for the device: use it from an encoder worker thread,
 * never from the event loop.  One handle is used by one thread at a time.
 *
 * Errors are negative errno values with a message from m2m_error():
 * -ENODEV the device is gone (free the handle, probe again), -ETIMEDOUT
 * the device did not answer, -EINVAL a format or size it does not take,
 * -ENOENT no encoder found, -EIO anything else.
 */
#ifndef CAPD_M2M_H
#define CAPD_M2M_H

#include <stddef.h>
#include <stdint.h>

struct m2m;

enum m2m_feed {
	M2M_FEED_AUTO,	 /* DMABUF import when possible, else copy; copies
			  * from the first frame without a dmabuf */
	M2M_FEED_DMABUF, /* DMABUF import only */
	M2M_FEED_COPY,	 /* copy into the encoder's own buffers */
};

struct m2m_config {
	const char *device;	    /* NULL: the first m2m_probe() finds */
	uint32_t coded;		    /* V4L2_PIX_FMT_H264, _FWHT, ... */
	uint32_t raw;		    /* V4L2_PIX_FMT_YUYV, ... */
	unsigned int width, height; /* of the raw frames */
	unsigned int fps;	    /* 0: leave as the driver has it */
	unsigned int bitrate;	    /* bit/s, 0: leave */
	unsigned int gop;	    /* frames between keyframes, 0: leave */
	enum m2m_feed feed;
	int timeout_ms; /* per wait; 0: 2000 */
};

/* What m2m_probe() found. */
struct m2m_device {
	char path[280];	 /* /dev/videoN */
	char driver[16]; /* QUERYCAP's driver */
	char card[32];	 /* and card */
	int mplane;	 /* the multi-planar API */
};

/* One raw frame in: data (for copy) and/or a dmabuf fd (for import). */
struct m2m_frame {
	const void *data;  /* NULL: dmabuf only */
	int dmabuf_fd;	   /* -1: none */
	size_t size;	   /* bytes of the frame */
	size_t length;	   /* of the dmabuf (>= size), 0: size */
	uint64_t ts_us;	   /* capture timestamp, handed through */
	unsigned int slot; /* which capture buffer (for DMABUF reuse) */
};

/* One coded buffer out; data stays valid until the next call on m. */
struct m2m_packet {
	const uint8_t *data;
	size_t size;
	int keyframe;
	uint64_t ts_us; /* of the frame it came from */
};

struct m2m_info {
	struct m2m_device dev;
	unsigned int width, height; /* raw, as negotiated */
	size_t raw_size;	    /* sizeimage of the OUTPUT queue */
	unsigned int bytesperline;
	int dmabuf; /* frames are imported, not copied */
	int has_bitrate, has_gop, has_force_key;
	int has_iperiod; /* H.264: V4L2_CID_MPEG_VIDEO_H264_I_PERIOD */
	uint64_t frames, restarts;  /* encoded; full restarts done */
	uint64_t last_us, total_us; /* m2m_encode's time: last, sum */
};

/* List up to max encoders of coded; returns how many were found (>= 0). */
int m2m_probe(uint32_t coded, struct m2m_device *ret, int max);
/* Open, negotiate, allocate and start streaming.  On failure returns a
 * negative errno and, if err, a message for a person. */
int m2m_open(
    const struct m2m_config *, struct m2m **ret, char *err, size_t errlen);
/* Encode one frame into one coded buffer. */
int m2m_encode(struct m2m *, const struct m2m_frame *, struct m2m_packet *ret);
/* Change bitrate/gop/fps (0: leave); controls the driver lacks are
 * skipped (see m2m_info).  Returns 0 or a negative errno. */
int m2m_set_params(
    struct m2m *, unsigned int bitrate, unsigned int gop, unsigned int fps);
/* The next frame is a keyframe: by the driver's control, or by a restart
 * of the stream where it has none. */
int m2m_force_keyframe(struct m2m *);
/* A new raw size: drain (V4L2_ENC_CMD_STOP, up to the LAST buffer), stop,
 * renegotiate and start again. */
int m2m_resize(struct m2m *, unsigned int width, unsigned int height);
void m2m_get_info(const struct m2m *, struct m2m_info *);
const char *m2m_error(const struct m2m *);
/* Whether a coded buffer starts a keyframe, from its bitstream (H.264:
 * an IDR slice; FWHT: the header's I-frame flag), for drivers that set no
 * V4L2_BUF_FLAG_KEYFRAME/PFRAME on the buffer.  0 for other formats. */
int m2m_coded_keyframe(uint32_t coded, const uint8_t *p, size_t n);
/* Drain, stop streaming, unmap, close.  NULL is fine. */
void m2m_free(struct m2m *);

#endif
