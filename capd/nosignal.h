/*
 * nosignal.h -- the picture shown while there is no picture.
 *
 * A dark frame saying "NO SIGNAL" ("NO EDID" for a reason starting "no
 * EDID", capture.c's for an input with an empty EDID) with the reason in
 * words ("no device:
 * /dev/video0: No such file or directory", "no signal", "no sync",
 * "unsupported format") at the last known resolution, so the browser keeps
 * its layout.  It is rendered and encoded only when the reason or size
 * changes; otherwise the cached JPEG is copied into a fresh frame.
 */
#ifndef CAPD_NOSIGNAL_H
#define CAPD_NOSIGNAL_H

struct frame;
struct nosignal;

int nosignal_new(struct nosignal **ret);
void nosignal_free(struct nosignal *); /* NULL ok */
/* A JPEG frame (one reference, the caller's) for reason at w x h. */
int nosignal_frame(struct nosignal *, unsigned int w, unsigned int h,
    const char *reason, struct frame **ret);

#endif
