/*
 * openh264.c -- the software H.264 backend, Cisco's openh264 (BSD licence).
 *
 * Set up for a KVM: constrained baseline (CAVLC, no B-frames), one slice
 * and one thread, the real-time camera usage (no lookahead), rate control
 * by bitrate with frame skipping off, so each raw frame in gives exactly
 * one access unit out.  Parameter sets keep constant ids and come with
 * every IDR, so any keyframe is a place a new decoder can start.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <wels/codec_api.h>

#include "annexb.h"
#include "error.h"
#include "h264.h"
#include "xmalloc.h"

struct openh264 {
	ISVCEncoder *enc;
	unsigned int width, height;
	uint8_t *i420;
	uint64_t frames;
};

/* The encoder's parameters for o. */
static void
openh264_setup(ISVCEncoder *enc, const struct h264_open *o, SEncParamExt *p)
{
	SSpatialLayerConfig *l = &p->sSpatialLayers[0];

	(*enc)->GetDefaultParams(enc, p);
	p->iUsageType = CAMERA_VIDEO_REAL_TIME;
	p->iPicWidth = (int)o->width;
	p->iPicHeight = (int)o->height;
	p->iTargetBitrate = (int)o->params.bitrate_kbps * 1000;
	p->iMaxBitrate = UNSPECIFIED_BIT_RATE;
	p->iRCMode = RC_BITRATE_MODE;
	p->fMaxFrameRate = (float)o->params.fps;
	p->iTemporalLayerNum = 1;
	p->iSpatialLayerNum = 1;
	p->uiIntraPeriod = o->params.keyint;
	p->eSpsPpsIdStrategy = CONSTANT_ID;
	p->bPrefixNalAddingCtrl = false;
	p->bEnableFrameSkip = false;
	p->iMultipleThreadIdc = 1;
	p->iEntropyCodingModeFlag = 0;
	p->iComplexityMode = LOW_COMPLEXITY;
	p->bEnableLongTermReference = false;
	l->iVideoWidth = p->iPicWidth;
	l->iVideoHeight = p->iPicHeight;
	l->fFrameRate = p->fMaxFrameRate;
	l->iSpatialBitrate = p->iTargetBitrate;
	l->iMaxSpatialBitrate = UNSPECIFIED_BIT_RATE;
	l->uiProfileIdc = PRO_BASELINE;
	l->uiLevelIdc = LEVEL_UNKNOWN;
	l->sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
	l->bVideoSignalTypePresent = true;
	l->uiVideoFormat = VF_UNDEF;
	l->bFullRange = o->full_range != 0;
	l->bColorDescriptionPresent = true;
	l->uiColorPrimaries = o->bt709 ? CP_BT709 : CP_SMPTE170M;
	l->uiTransferCharacteristics = o->bt709 ? TRC_BT709 : TRC_SMPTE170M;
	l->uiColorMatrix = o->bt709 ? CM_BT709 : CM_SMPTE170M;
}

/* An encoder for frames of o's size. */
static int
openh264_open(const struct h264_open *o, void **ret)
{
	struct openh264 *c;
	SEncParamExt p;
	int fmt = videoFormatI420, quiet = WELS_LOG_QUIET, r;

	c = xcalloc(1, sizeof(*c));
	if (WelsCreateSVCEncoder(&c->enc) != 0 || c->enc == NULL) {
		free(c);
		return error_set(-ENOMEM, "openh264: cannot create an encoder");
	}
	(*c->enc)->SetOption(c->enc, ENCODER_OPTION_TRACE_LEVEL, &quiet);
	openh264_setup(c->enc, o, &p);
	if ((r = (*c->enc)->InitializeExt(c->enc, &p)) != cmResultSuccess) {
		WelsDestroySVCEncoder(c->enc);
		free(c);
		return error_set(-EINVAL,
		    "openh264 refuses %ux%u at %u kbit/s (error %d)", o->width,
		    o->height, o->params.bitrate_kbps, r);
	}
	(*c->enc)->SetOption(c->enc, ENCODER_OPTION_DATAFORMAT, &fmt);
	c->width = o->width;
	c->height = o->height;
	c->i420 = xmalloc((size_t)o->width * o->height * 3 / 2);
	*ret = c;
	return 0;
}

/* Collect the layers' NAL units into out, growing it when needed. */
static int
openh264_collect(const SFrameBSInfo *info, struct frame **out)
{
	size_t len = 0, n;
	struct frame *f = *out;
	int i, j;

	for (i = 0; i < info->iLayerNum; i++)
		for (j = 0; j < info->sLayerInfo[i].iNalCount; j++)
			len += (size_t)info->sLayerInfo[i].pNalLengthInByte[j];
	if (len == 0)
		return error_set(-EIO, "openh264 gave an empty access unit");
	if (len > f->cap) {
		frame_unref(f);
		f = *out = frame_new(len + len / 2);
	}
	f->len = 0;
	for (i = 0; i < info->iLayerNum; i++) {
		const SLayerBSInfo *l = &info->sLayerInfo[i];

		for (n = 0, j = 0; j < l->iNalCount; j++)
			n += (size_t)l->pNalLengthInByte[j];
		memcpy(f->data + f->len, l->pBsBuf, n);
		f->len += n;
	}
	f->keyframe = info->eFrameType == videoFrameTypeIDR;
	return 0;
}

/* One frame in, one access unit out. */
static int
openh264_encode(void *arg, const struct frame *raw, struct frame **out)
{
	struct openh264 *c = arg;
	SSourcePicture pic;
	SFrameBSInfo info;
	int r;

	if (raw->width != c->width || raw->height != c->height)
		return error_set(-EINVAL, "frame of %ux%u for a %ux%u encoder",
		    raw->width, raw->height, c->width, c->height);
	if ((r = h264_to_i420(raw, c->i420)) < 0)
		return r;
	memset(&pic, 0, sizeof(pic));
	pic.iColorFormat = videoFormatI420;
	pic.iPicWidth = (int)c->width;
	pic.iPicHeight = (int)c->height;
	pic.iStride[0] = (int)c->width;
	pic.iStride[1] = pic.iStride[2] = (int)c->width / 2;
	pic.pData[0] = c->i420;
	pic.pData[1] = c->i420 + (size_t)c->width * c->height;
	pic.pData[2] = pic.pData[1] + (size_t)c->width * c->height / 4;
	pic.uiTimeStamp = (long long)(raw->mono_us / 1000);
	memset(&info, 0, sizeof(info));
	r = (*c->enc)->EncodeFrame(c->enc, &pic, &info);
	if (r != cmResultSuccess)
		return error_set(-EIO, "openh264 cannot encode (error %d)", r);
	if (info.eFrameType == videoFrameTypeSkip)
		return error_set(-EIO, "openh264 skipped a frame");
	c->frames++;
	return openh264_collect(&info, out);
}

/* Bitrate, keyframe interval and frame rate, while running. */
static int
openh264_set_params(void *arg, const struct h264_params *p)
{
	struct openh264 *c = arg;
	SBitrateInfo br = {.iLayer = SPATIAL_LAYER_ALL,
	    .iBitrate = (int)p->bitrate_kbps * 1000};
	float fps = (float)p->fps;
	int keyint = (int)p->keyint;

	if ((*c->enc)->SetOption(c->enc, ENCODER_OPTION_BITRATE, &br) !=
		cmResultSuccess ||
	    (*c->enc)->SetOption(c->enc, ENCODER_OPTION_FRAME_RATE, &fps) !=
		cmResultSuccess ||
	    (*c->enc)->SetOption(c->enc, ENCODER_OPTION_IDR_INTERVAL,
		&keyint) != cmResultSuccess)
		return error_set(-EINVAL, "openh264 refuses the parameters");
	return 0;
}

/* The next frame is an IDR. */
static void
openh264_force_keyframe(void *arg)
{
	struct openh264 *c = arg;

	(*c->enc)->ForceIntraFrame(c->enc, true);
}

/* Done. */
static void
openh264_free(void *arg)
{
	struct openh264 *c = arg;

	if (c == NULL)
		return;
	(*c->enc)->Uninitialize(c->enc);
	WelsDestroySVCEncoder(c->enc);
	free(c->i420);
	free(c);
}

const struct h264_backend h264_openh264 = {
    .name = "openh264",
    .open = openh264_open,
    .encode = openh264_encode,
    .set_params = openh264_set_params,
    .force_keyframe = openh264_force_keyframe,
    .free = openh264_free,
};
