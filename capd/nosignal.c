/*
 * nosignal.c -- rendering and caching the "no signal" JPEG.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
#include "font.h"
#include "frame.h"
#include "nosignal.h"
#include "xmalloc.h"

#define BG  ((struct font_color){32, 128, 128})
#define FG  ((struct font_color){235, 128, 128})
#define DIM ((struct font_color){150, 128, 128})

struct nosignal {
	struct encoder_ctx *ctx;
	unsigned int w, h;
	char *reason;
	struct frame *jpeg; /* cached */
};

/* A renderer. */
int
nosignal_new(struct nosignal **ret)
{
	struct nosignal *ns = xcalloc(1, sizeof(*ns));
	int r;

	if ((r = encoder_ctx_new(&ns->ctx)) < 0) {
		free(ns);
		return r;
	}
	*ret = ns;
	return 0;
}

/* Free the renderer. */
void
nosignal_free(struct nosignal *ns)
{
	if (ns == NULL)
		return;
	encoder_ctx_free(ns->ctx);
	frame_unref(ns->jpeg);
	free(ns->reason);
	free(ns);
}

/* Draw text centred at y with the largest scale up to max that fits. */
static unsigned int
draw_centred(struct frame *f, const char *text, int y, unsigned int max,
    struct font_color c)
{
	unsigned int scale = max, tw;
	char buf[128];

	snprintf(buf, sizeof(buf), "%s", text);
	while (scale > 1 && font_text_width(buf, scale) + 8 > f->width)
		scale--;
	/* still too long at scale 1: cut with an ellipsis */
	while (strlen(buf) > 4 && font_text_width(buf, scale) + 8 > f->width)
		memcpy(buf + strlen(buf) - 4, "...", 4);
	tw = font_text_width(buf, scale);
	font_draw_yuyv(f->data, f->stride, f->width, f->height,
	    ((int)f->width - (int)tw) / 2, y, scale, buf, c);
	return scale;
}

/* Render and encode the picture for reason at w x h. */
static int
nosignal_render(
    struct nosignal *ns, unsigned int w, unsigned int h, const char *reason)
{
	struct frame *raw, *jpeg;
	size_t i;
	unsigned int big;
	int r;

	raw = frame_new((size_t)w * h * 2);
	raw->format = FRAME_YUYV;
	raw->width = w;
	raw->height = h;
	raw->stride = w * 2;
	raw->len = (size_t)w * h * 2;
	for (i = 0; i < raw->len; i += 4) {
		raw->data[i] = raw->data[i + 2] = BG.y;
		raw->data[i + 1] = BG.u;
		raw->data[i + 3] = BG.v;
	}
	big = w / (9 * (FONT_W + 1) * 2);
	if (big > h / (FONT_H * 6))
		big = h / (FONT_H * 6);
	if (big < 1)
		big = 1;
	/* the source sends nothing because it sees no monitor (capture.c) */
	draw_centred(raw,
	    strncmp(reason, "no EDID", 7) == 0 ? "NO EDID" : "NO SIGNAL",
	    (int)(h / 2 - big * FONT_H * 3 / 2), big, FG);
	draw_centred(raw, reason, (int)(h / 2 + big * FONT_H / 2),
	    big / 3 ? big / 3 : 1, DIM);
	jpeg = frame_new(encoder_max_size(raw));
	if ((r = encoder_compress(ns->ctx, raw, 85, jpeg)) < 0) {
		frame_unref(jpeg);
		frame_unref(raw);
		return r;
	}
	frame_unref(raw);
	frame_unref(ns->jpeg);
	ns->jpeg = jpeg;
	free(ns->reason);
	ns->reason = xstrdup(reason);
	ns->w = w;
	ns->h = h;
	return 0;
}

/* A fresh frame with the (cached) picture. */
int
nosignal_frame(struct nosignal *ns, unsigned int w, unsigned int h,
    const char *reason, struct frame **ret)
{
	struct frame *f;
	int r;

	w &= ~1u;
	if (w < 160 || h < 120 || w > 8192 || h > 8192) {
		w = 640;
		h = 480;
	}
	if (ns->jpeg == NULL || ns->w != w || ns->h != h ||
	    strcmp(ns->reason, reason) != 0)
		if ((r = nosignal_render(ns, w, h, reason)) < 0)
			return r;
	f = frame_new(ns->jpeg->len);
	memcpy(f->data, ns->jpeg->data, ns->jpeg->len);
	f->len = ns->jpeg->len;
	f->format = FRAME_JPEG;
	f->width = w;
	f->height = h;
	f->ts_us = frame_now_us();
	f->mono_us = frame_mono_us();
	*ret = f;
	return 0;
}
