/*
 * test_m2m.c -- m2m.c's checks before any device streams: a path that is
 * no encoder and a missing one are refused with a message naming them.
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

int
main(void)
{
	refused("/dev/null", -EINVAL, "no memory-to-memory encoder");
	refused("/nonexistent/video9", -ENOENT, "No such file");
	m2m_free(NULL);
	ok(1, "m2m_free(NULL) is fine");
	return tap_done();
}
