/*
 * capture.h -- frames from a V4L2 device (through libv4l2).
 *
 * capture_open() negotiates everything: input, TV standard or DV timings,
 * the best pixel format the device offers (MJPEG first with "auto", then
 * YUYV, UYVY, NV12, RGB24, BGR24; formats libv4l2 only emulates come
 * last), resolution and frame rate; then it starts mmap streaming.  Call
 * only from the event-loop thread; the fd is non-blocking.
 *
 * Errors say what a person can do: -ENOENT/-ENODEV no device, -ENOLINK no
 * signal, -ENOLCK no sync, -ERANGE out of range, -EINVAL (an unsupported
 * resolution, format or standard), -EIO anything else.
 */
#ifndef CAPD_CAPTURE_H
#define CAPD_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct capture;
struct frame;
struct frame_pool;

struct capture_config {
	const char *device;	    /* "/dev/video0" */
	unsigned int width, height; /* 0: what the device has */
	unsigned int fps;	    /* 0: what the device has */
	const char *format;	    /* "auto", "mjpeg", "yuyv", ... */
	int input;		    /* -1: leave as is */
	const char *standard;	    /* NULL: leave as is; "pal", "ntsc" */
	const uint8_t *edid;	    /* NULL: leave as is (edid.h) */
	size_t edid_len;
	int edid_fill; /* without edid: the built-in default into an empty pad */
};

struct capture_info {
	const char *driver, *card;
	unsigned int width, height;
	const char *format; /* "MJPEG", "YUYV", ... */
	double fps;	    /* negotiated, 0 if unknown */
	int input;
	int dv_timings; /* the input is HDMI/DVI-like */
};

/* Validate names before anything is opened (for --check-config). */
int capture_check_format(const char *format);
int capture_check_standard(const char *standard);

int capture_open(const struct capture_config *, struct capture **ret);
void capture_close(struct capture *); /* NULL ok */
int capture_fd(const struct capture *);
void capture_get_info(const struct capture *, struct capture_info *);
/*
 * Take the newest ready buffer, requeueing older ones at once.  With want
 * set it comes back as a frame: MJPEG checked and repaired into a frame
 * from pool, raw frames lent (the frame holds the buffer until its last
 * reference goes, on any thread) or, when the driver would be left with
 * fewer than two buffers, copied into a frame from pool.  Without want it
 * is only counted.  -EAGAIN: nothing
 * ready; -EINVAL: a broken frame was dropped; -ENODEV: the device is gone.
 */
int capture_grab(
    struct capture *, struct frame_pool *, int want, struct frame **ret);
/*
 * Once a second or so: 0 while a picture comes in; -ENOLINK/-ENOLCK when
 * the input reports no signal or no sync; -ERESTART when the source
 * changed (close and open again); -ENODEV when the device is gone.
 */
int capture_check(struct capture *);
/* Whether the device offers w x h in the negotiated format (0 or -EINVAL
 * with a message listing what it offers). */
int capture_check_size(struct capture *, unsigned int w, unsigned int h);
uint64_t capture_dropped(const struct capture *); /* broken frames */
/* The dmabuf fd (VIDIOC_EXPBUF) of the buffer a lent frame holds, for an
 * encoder to import (capd/m2m.c), and which buffer it is in ret_slot; -1
 * for a copied frame or a driver that exports none.  Valid while f is. */
int capture_frame_dmabuf(const struct frame *f, unsigned int *ret_slot);
/*
 * The EDID on a device's input pad, apart from any capture (GET and POST
 * /edid): each opens device for the ioctl only; input -1 is the current
 * one.  Read gives its length, 0 when the pad holds none; write takes a
 * checked EDID (edid.h).  -EOPNOTSUPP when the device has no EDID pads,
 * -EBUSY while it streams (vivid), -ENODEV, -EIO; error_set() says which.
 */
int capture_edid_read(const char *device, int input, uint8_t *out);
int capture_edid_write(const char *device, int input, const uint8_t *, size_t);
/* Raw frames lent and copied since the open. */
void capture_get_counts(
    const struct capture *, uint64_t *lent, uint64_t *copied);

#endif
