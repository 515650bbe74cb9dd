/*
 * reader.h -- one recognition at a time: the newest frame fetched from
 * capd's socket (GET /snapshot, on the loop, never blocking it), then cut
 * (image.c) and read (ocr.c) on one worker thread; the answer goes back
 * to the HTTP request on the loop.
 */
#ifndef OCRD_READER_H
#define OCRD_READER_H

#include <jansson.h>

#include "image.h"

struct event_base;
struct http_request;
struct reader;

struct reader_config {
	const char *capd_socket;
	const char *datapath; /* Tesseract's tessdata; NULL: its default */
	int snapshot_timeout_ms;
	int ocr_timeout_ms;
};

/* The engine (its languages) and the worker thread: 0, or -errno with a
 * message (no language installed). */
int reader_new(
    struct event_base *, const struct reader_config *, struct reader **ret);
/* Joins the worker (a recognition running ends within its deadline); a
 * request still waiting is left to the server. NULL is fine. */
void reader_free(struct reader *);

/* POST /read: answers req later with {text, lang, ms, ...}, or at once
 * with 400 for an unknown language, 503 "busy" while one runs. */
void reader_read(struct reader *, struct http_request *req,
    const struct image_region *, const char *lang);

/* 1 from a POST /read until its reply. */
int reader_busy(const struct reader *);

/* GET /state: {languages, busy, last}. */
json_t *reader_state(const struct reader *);

#endif
