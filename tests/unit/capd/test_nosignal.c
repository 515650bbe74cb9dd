/*
 * test_nosignal.c -- the no-signal picture's headline (capd/nosignal.c):
 * "NO EDID" for capture.c's "no EDID: ..." reason, "NO SIGNAL" for the
 * others, compared on the decoded luma of the headline's band.
 */
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "font.h"
#include "frame.h"
#include "nosignal.h"
#include "tap.h"

#define W 640
#define H 480

/* The headline's rows (nosignal.c's layout at W x H) of reason's frame as
 * grey pixels into out (W * FONT_H * big bytes); 0 or -1. */
static int
headline(struct nosignal *ns, const char *reason, unsigned char *out)
{
	static unsigned char grey[W * H];
	unsigned int big = W / (9 * (FONT_W + 1) * 2), y0;
	struct frame *f;
	tjhandle tj = tjInitDecompress();
	int r;

	if (big > H / (FONT_H * 6))
		big = H / (FONT_H * 6);
	y0 = H / 2 - big * FONT_H * 3 / 2;
	if (nosignal_frame(ns, W, H, reason, &f) < 0)
		return -1;
	r = tjDecompress2(
	    tj, f->data, (unsigned long)f->len, grey, W, W, H, TJPF_GRAY, 0);
	tjDestroy(tj);
	frame_unref(f);
	memcpy(out, grey + (size_t)y0 * W, (size_t)W * FONT_H * big);
	return r;
}

int
main(void)
{
	static unsigned char edid[W * H], sig[W * H], sync[W * H];
	size_t n = (size_t)W * FONT_H * (W / (9 * (FONT_W + 1) * 2));
	struct nosignal *ns;

	ok(nosignal_new(&ns) == 0, "renderer");
	ok(headline(ns, "no EDID: the source sees no monitor", edid) == 0,
	    "no EDID frame decodes");
	ok(headline(ns, "no signal", sig) == 0, "no signal frame decodes");
	ok(headline(ns, "no sync", sync) == 0, "no sync frame decodes");
	ok(memcmp(sig, sync, n) == 0,
	    "no signal and no sync: the same headline (NO SIGNAL)");
	ok(memcmp(edid, sig, n) != 0, "no EDID: another headline (NO EDID)");
	nosignal_free(ns);
	return tap_done();
}
