/*
 * edidjob.h -- reading or loading a device's EDID off the event loop.
 *
 * GET and POST /edid open the capture device for one ioctl, and opening a
 * V4L2 device can hang for seconds (a wedged USB bridge), so each runs on
 * a thread of its own (capture_edid_read()/_write()); done runs on the loop
 * thread with the result: the EDID on the pad afterwards (read back after
 * a load), its length (0: none) or -errno with why in words.
 */
#ifndef CAPD_EDIDJOB_H
#define CAPD_EDIDJOB_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct edidjob;

typedef void edidjob_done_fn(
    int r, const uint8_t *edid, size_t len, const char *why, void *arg);

/* Starts the job: load set (len bytes, checked) first unless NULL.  0, or
 * -errno with error_set() when no thread starts (done does not run). */
int edidjob_start(struct event_base *, const char *device, int input,
    const uint8_t *set, size_t len, edidjob_done_fn *done, void *arg,
    struct edidjob **ret);
/* Forgets a job (loop thread, before done ran): done never runs, the
 * thread frees it.  NULL ok. */
void edidjob_abandon(struct edidjob *);

#endif
