/*
 * test_m2m.c -- m2m.c's pure parts: keyframes read from H.264 and FWHT
 * bitstreams; a path that is no encoder and a missing one are refused with
 * a message naming them.
 * The encoding itself runs against vicodec in the VM (capd-m2m-vicodec).
 */
#include <errno.h>
#include <string.h>

#include <linux/videodev2.h>

#include "m2m.h"
#include "tap.h"

static void
refused(const char *path, int want, const char *msg)
{
	struct m2m_config cfg = {.device = path,
	    .coded = V4L2_PIX_FMT_FWHT,
	    .raw = V4L2_PIX_FMT_YUYV,
	    .width = 64,
	    .height = 64};
	struct m2m *m = NULL;
	char err[160] = "";

	is_int(m2m_open(&cfg, &m, err, sizeof(err)), want, "%s refused", path);
	ok(m == NULL, "%s: no handle", path);
	ok(strstr(err, path) && strstr(err, msg), "%s: message '%s'", path,
	    err);
}

/* Keyframes read from the bitstream, for drivers that flag none. */
static void
coded_keyframes(void)
{
	static const uint8_t idr[] = {
	    0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x88};
	static const uint8_t p_slice[] = {0, 0, 0, 1, 0x41, 0x9a, 0, 0, 1};
	/* magic, magic, version 3, 640, 360, flags with/without bit 10 */
	uint8_t fwht[24] = {'O', 'O', 'O', 'O', 0xff, 0xff, 0xff, 0xff, 0, 0, 0,
	    3, 0, 0, 2, 0x80, 0, 0, 1, 0x68, 0, 0, 0x04, 0x00};

	ok(m2m_coded_keyframe(V4L2_PIX_FMT_H264, idr, sizeof(idr)),
	    "H.264: SPS, PPS, IDR slice is a keyframe");
	ok(!m2m_coded_keyframe(V4L2_PIX_FMT_H264, p_slice, sizeof(p_slice)),
	    "H.264: a non-IDR slice is not");
	ok(!m2m_coded_keyframe(V4L2_PIX_FMT_H264, idr, 14),
	    "H.264: a start code cut before its NAL header is not");
	ok(m2m_coded_keyframe(V4L2_PIX_FMT_FWHT, fwht, sizeof(fwht)),
	    "FWHT: the I-frame flag (bit 10) is a keyframe");
	ok(!m2m_coded_keyframe(V4L2_PIX_FMT_FWHT, fwht, 23),
	    "FWHT: a short header is not");
	fwht[22] = 0x03; /* bits 8 and 9, not 10 */
	ok(!m2m_coded_keyframe(V4L2_PIX_FMT_FWHT, fwht, sizeof(fwht)),
	    "FWHT: without the flag it is not");
	fwht[22] = 0x04;
	fwht[0] = 'P';
	ok(!m2m_coded_keyframe(V4L2_PIX_FMT_FWHT, fwht, sizeof(fwht)),
	    "FWHT: without the magic it is not");
	ok(!m2m_coded_keyframe(V4L2_PIX_FMT_MJPEG, idr, sizeof(idr)),
	    "another format: never");
}

int
main(void)
{
	coded_keyframes();
	refused("/dev/null", -EINVAL, "no memory-to-memory encoder");
	refused("/nonexistent/video9", -ENOENT, "No such file");
	m2m_free(NULL);
	ok(1, "m2m_free(NULL) is fine");
	return tap_done();
}
