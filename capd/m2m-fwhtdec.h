/*
 * m2m-fwhtdec.h -- the check for m2m-encode: vicodec's stateful FWHT
 * decoder (a decoder we did not write) turns the coded stream back into
 * YUYV, to compare with the frames that went in.
 */
#ifndef CAPD_M2M_FWHTDEC_H
#define CAPD_M2M_FWHTDEC_H

#include <stddef.h>
#include <stdint.h>

struct fwhtdec;

/* The decoder node (a stateful m2m device with FWHT on OUTPUT) for
 * frames of w x h; exits with "FAIL: ..." when there is none. */
struct fwhtdec *fwhtdec_open(unsigned int w, unsigned int h);
/* Decode one coded buffer; the PSNR of its luma against yuyv (w x h). */
double fwhtdec_psnr(
    struct fwhtdec *, const uint8_t *coded, size_t n, const uint8_t *yuyv);
void fwhtdec_free(struct fwhtdec *);
/* ioctl retried on EINTR (-1 and errno on failure), for m2m-encode too. */
int fwhtdec_ioctl(int fd, unsigned long req, void *arg);

#endif
