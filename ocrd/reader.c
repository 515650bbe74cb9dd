/*
 * reader.c -- reader.h: the loop side (the request, capd's snapshot, the
 * reply) and one worker thread (crop and Tesseract).  They share one job
 * under a mutex; the worker hands it back with event_active() (libevent's
 * pthreads locking is on: daemon.c), so the loop never waits on
 * recognition and Tesseract never runs on the loop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "api.h"
#include "client.h"
#include "error.h"
#include "http.h"
#include "log.h"
#include "ocr.h"
#include "reader.h"
#include "xmalloc.h"

struct reader {
	struct event_base *base;
	struct reader_config cfg;
	struct ocr *ocr; /* the worker's only, after reader_new() */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct event *done_ev;
	int stop, queued; /* under mu */
	/* the job: the loop's while !queued, the worker's while queued */
	int busy; /* the loop's: a request from POST to reply */
	struct http_request *req;
	struct image_region region;
	char lang[OCR_LANG_MAX + 1];
	char *jpeg;
	size_t jpeg_len;
	struct timespec t0;
	int result;
	char *text;
	char msg[512];
	json_int_t ocr_ms;
	/* the last one answered, for /state */
	int have_last, last_status;
	json_int_t last_ms, last_ocr_ms;
	char last_lang[OCR_LANG_MAX + 1];
};

/* Whole milliseconds since t0, rounded. */
static json_int_t
ms_since(const struct timespec *t0)
{
	struct timespec t;
	long long us;

	clock_gettime(CLOCK_MONOTONIC, &t);
	us = (long long)(t.tv_sec - t0->tv_sec) * 1000000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000;
	return (json_int_t)((us + 500) / 1000);
}

/* The worker's part of a job: crop, then recognise. */
static void
reader_work(struct reader *rd)
{
	struct image_gray pic = {0}, ready = {0};
	struct timespec t0;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rd->text = NULL;
	r = image_crop_jpeg(rd->jpeg, rd->jpeg_len, &rd->region, &pic);
	if (r == 0) {
		image_prepare(&pic, &ready);
		r = ocr_read(rd->ocr, &ready, rd->lang, rd->cfg.ocr_timeout_ms,
		    &rd->text);
	}
	if (r == -EBADMSG || r == -E2BIG) {
		snprintf(rd->msg, sizeof(rd->msg),
		    "capd's snapshot could not be decoded: %s",
		    error_get() ? error_get() : "not a JPEG");
		r = -ENXIO; /* 503: capd's fault, not the request's */
	} else if (r < 0)
		snprintf(rd->msg, sizeof(rd->msg), "%s",
		    error_get() ? error_get() : "recognition failed");
	rd->result = r;
	rd->ocr_ms = ms_since(&t0);
	image_gray_free(&pic);
	image_gray_free(&ready);
	free(rd->jpeg);
	rd->jpeg = NULL;
}

static void *
reader_thread(void *arg)
{
	struct reader *rd = arg;

	pthread_mutex_lock(&rd->mu);
	for (;;) {
		while (!rd->stop && !rd->queued)
			pthread_cond_wait(&rd->cv, &rd->mu);
		if (rd->stop)
			break;
		pthread_mutex_unlock(&rd->mu);
		reader_work(rd);
		pthread_mutex_lock(&rd->mu);
		rd->queued = 0;
		event_active(rd->done_ev, EV_TIMEOUT, 0);
	}
	pthread_mutex_unlock(&rd->mu);
	return NULL;
}

/* Answers the job's request and frees the job. */
static void
reader_answer(struct reader *rd, int err, const char *msg)
{
	rd->have_last = 1;
	rd->last_ms = ms_since(&rd->t0);
	rd->last_ocr_ms = rd->ocr_ms;
	rd->last_status = err == 0 ? 200 : error_http_status(err);
	snprintf(rd->last_lang, sizeof(rd->last_lang), "%s", rd->lang);
	if (err == 0)
		api_reply_ok(rd->req,
		    json_pack("{s:s, s:s, s:I, s:I}", "text", rd->text, "lang",
			rd->lang, "ms", rd->last_ms, "ocr_ms", rd->ocr_ms));
	else
		api_reply_error(rd->req, err, msg);
	free(rd->text);
	rd->text = NULL;
	rd->req = NULL;
	rd->busy = 0;
}

/* On the loop: the worker is done. */
static void
reader_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reader *rd = arg;

	reader_answer(rd, rd->result, rd->msg);
}

/* On the loop: capd's answer to GET /snapshot. */
static void
reader_snapshot_cb(int result, struct client_reply *cr, void *arg)
{
	struct reader *rd = arg;
	const char *msg = NULL;

	if (result < 0) {
		snprintf(rd->msg, sizeof(rd->msg),
		    "capd does not answer on %s (%s): is capd running?",
		    rd->cfg.capd_socket, strerror(-result));
		reader_answer(rd, -ENXIO, rd->msg);
		return;
	}
	if (cr->status != 200) {
		msg = json_string_value(json_object_get(
		    json_object_get(cr->json, "error"), "message"));
		snprintf(rd->msg, sizeof(rd->msg), "capd has no frame: %s",
		    msg ? msg : http_status_text(cr->status));
		reader_answer(
		    rd, cr->status == 504 ? -ETIMEDOUT : -ENXIO, rd->msg);
		return;
	}
	rd->jpeg = cr->body; /* the worker's now */
	rd->jpeg_len = cr->body_len;
	cr->body = NULL;
	pthread_mutex_lock(&rd->mu);
	rd->queued = 1;
	pthread_cond_signal(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
}

void
reader_read(struct reader *rd, struct http_request *req,
    const struct image_region *region, const char *lang)
{
	int r;

	if (rd->busy) {
		api_reply_error(req, -EAGAIN,
		    "busy, try again: one recognition runs at a time");
		return;
	}
	if (!ocr_language_known(rd->ocr, lang)) {
		api_reply_errorf(req, -EINVAL,
		    "the language \"%s\" is not installed: GET /state lists those that are",
		    lang);
		return;
	}
	rd->busy = 1;
	rd->req = req;
	rd->region = *region;
	snprintf(rd->lang, sizeof(rd->lang), "%s", lang);
	rd->ocr_ms = 0;
	clock_gettime(CLOCK_MONOTONIC, &rd->t0);
	if ((r = client_call_async(rd->base, rd->cfg.capd_socket, "GET",
		 "/snapshot", NULL, rd->cfg.snapshot_timeout_ms,
		 reader_snapshot_cb, rd)) < 0)
		reader_snapshot_cb(r, NULL, rd);
}

int
reader_busy(const struct reader *rd)
{
	return rd->busy;
}

json_t *
reader_state(const struct reader *rd)
{
	const char *const *l = ocr_languages(rd->ocr);
	json_t *langs = json_array(), *last = json_null();

	for (; *l != NULL; l++)
		json_array_append_new(langs, json_string(*l));
	if (rd->have_last)
		last = json_pack("{s:s, s:i, s:I, s:I}", "lang", rd->last_lang,
		    "status", rd->last_status, "ms", rd->last_ms, "ocr_ms",
		    rd->last_ocr_ms);
	return json_pack("{s:o, s:b, s:o, s:i}", "languages", langs, "busy",
	    rd->busy, "last", last, "timeout_ms", rd->cfg.ocr_timeout_ms);
}

int
reader_new(struct event_base *base, const struct reader_config *cfg,
    struct reader **ret)
{
	struct reader *rd = xcalloc(1, sizeof(*rd));
	int e;

	rd->base = base;
	rd->cfg = *cfg;
	if ((rd->ocr = ocr_new(cfg->datapath)) == NULL) {
		free(rd);
		return -ENOENT;
	}
	if ((rd->done_ev = event_new(base, -1, 0, reader_done_cb, rd)) == NULL)
		xmalloc_fatal("an event");
	pthread_mutex_init(&rd->mu, NULL);
	pthread_cond_init(&rd->cv, NULL);
	if ((e = pthread_create(&rd->thread, NULL, reader_thread, rd)) != 0) {
		event_free(rd->done_ev);
		ocr_free(rd->ocr);
		free(rd);
		return error_set(-e, "the worker thread: %s", strerror(e));
	}
	*ret = rd;
	return 0;
}

void
reader_free(struct reader *rd)
{
	if (rd == NULL)
		return;
	pthread_mutex_lock(&rd->mu);
	rd->stop = 1;
	pthread_cond_signal(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
	pthread_join(rd->thread, NULL);
	event_free(rd->done_ev);
	free(rd->jpeg);
	free(rd->text);
	ocr_free(rd->ocr);
	pthread_mutex_destroy(&rd->mu);
	pthread_cond_destroy(&rd->cv);
	free(rd);
}
