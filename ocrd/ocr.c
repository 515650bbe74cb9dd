/*
 * ocr.c -- Tesseract behind ocr.h.  The engine is initialised again only
 * when the language changes (loading its data is the slow part).  The
 * deadline is ours: Tesseract calls the monitor's cancel function between
 * words, and the function compares CLOCK_MONOTONIC with the request's
 * deadline and notes that it cut the work off, so a timeout is told from a
 * page that simply has no text.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tesseract/capi.h>

#include "error.h"
#include "ocr.h"
#include "xmalloc.h"

#define OCR_NLANG_MAX 256

struct ocr {
	TessBaseAPI *api;
	char *datapath;
	char lang[OCR_LANG_MAX + 1]; /* the one loaded; "" before the first */
	char **langs;		     /* Tesseract's list, NULL-terminated */
	const char *known[OCR_NLANG_MAX + 1]; /* langs without "osd" */
};

struct ocr_deadline {
	struct timespec end;
	int cut;
};

static int
ocr_load(struct ocr *o, const char *lang)
{
	if (strcmp(o->lang, lang) == 0)
		return 0;
	o->lang[0] = '\0';
	if (TessBaseAPIInit3(o->api, o->datapath, lang) != 0)
		return error_set(-EIO,
		    "Tesseract could not load the language \"%s\": reinstall its tesseract-ocr-%s package",
		    lang, lang);
	snprintf(o->lang, sizeof(o->lang), "%s", lang);
	return 0;
}

struct ocr *
ocr_new(const char *datapath)
{
	struct ocr *o = xcalloc(1, sizeof(*o));
	size_t i, n = 0;

	o->datapath = datapath ? xstrdup(datapath) : NULL;
	if ((o->api = TessBaseAPICreate()) == NULL)
		xmalloc_fatal("a Tesseract engine");
	/* The list of languages needs an initialised engine: any will do. */
	if (TessBaseAPIInit3(o->api, o->datapath, NULL) != 0 &&
	    TessBaseAPIInit3(o->api, o->datapath, "osd") != 0) {
		error_set(-ENOENT,
		    "Tesseract found no language data in %s: install tesseract-ocr-eng",
		    datapath ? datapath : "its default directory");
		ocr_free(o);
		return NULL;
	}
	o->langs = TessBaseAPIGetAvailableLanguagesAsVector(o->api);
	for (i = 0; o->langs && o->langs[i] && n < OCR_NLANG_MAX; i++)
		if (strcmp(o->langs[i], "osd") != 0 &&
		    strlen(o->langs[i]) <= OCR_LANG_MAX)
			o->known[n++] = o->langs[i];
	o->known[n] = NULL;
	if (n == 0) {
		error_set(-ENOENT,
		    "Tesseract found no language data in %s: install tesseract-ocr-eng",
		    datapath ? datapath : "its default directory");
		ocr_free(o);
		return NULL;
	}
	return o;
}

void
ocr_free(struct ocr *o)
{
	if (o == NULL)
		return;
	if (o->langs)
		TessDeleteTextArray(o->langs);
	if (o->api)
		TessBaseAPIDelete(o->api);
	free(o->datapath);
	free(o);
}

const char *const *
ocr_languages(const struct ocr *o)
{
	return o->known;
}

int
ocr_language_known(const struct ocr *o, const char *lang)
{
	size_t i;

	for (i = 0; o->known[i]; i++)
		if (strcmp(o->known[i], lang) == 0)
			return 1;
	return 0;
}

/* Tesseract's cancel callback: true once the deadline has passed. */
static bool
ocr_cancel(void *arg, int words)
{
	struct ocr_deadline *d = arg;
	struct timespec now;

	(void)words;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > d->end.tv_sec ||
	    (now.tv_sec == d->end.tv_sec && now.tv_nsec >= d->end.tv_nsec))
		d->cut = 1;
	return d->cut;
}

static int
ocr_recognize(struct ocr *o, int timeout_ms)
{
	struct ocr_deadline d = {{0, 0}, 0};
	ETEXT_DESC *mon;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &d.end);
	d.end.tv_sec += timeout_ms / 1000;
	d.end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (d.end.tv_nsec >= 1000000000L) {
		d.end.tv_sec++;
		d.end.tv_nsec -= 1000000000L;
	}
	if ((mon = TessMonitorCreate()) == NULL)
		xmalloc_fatal("a Tesseract monitor");
	TessMonitorSetCancelFunc(mon, ocr_cancel);
	TessMonitorSetCancelThis(mon, &d);
	TessMonitorSetDeadlineMSecs(mon, timeout_ms);
	r = TessBaseAPIRecognize(o->api, mon);
	TessMonitorDelete(mon);
	/* Tesseract's own deadline check may stop it first (r -1). */
	if (d.cut || (r != 0 && ocr_cancel(&d, 0)))
		return error_set(-ETIMEDOUT,
		    "recognition took longer than %d ms and was stopped: select a smaller region",
		    timeout_ms);
	if (r != 0)
		return error_set(-EIO,
		    "Tesseract could not read the region: select it again");
	return 0;
}

int
ocr_read(struct ocr *o, const struct image_gray *pic, const char *lang,
    int timeout_ms, char **ret_text)
{
	char *text;
	int r;

	if (!ocr_language_known(o, lang))
		return error_set(-EINVAL,
		    "no language data for this language: use one listed in GET /state");
	if ((r = ocr_load(o, lang)) < 0)
		return r;
	TessBaseAPISetImage(
	    o->api, pic->pixels, (int)pic->w, (int)pic->h, 1, (int)pic->w);
	r = ocr_recognize(o, timeout_ms);
	if (r == 0 && (text = TessBaseAPIGetUTF8Text(o->api)) != NULL) {
		*ret_text = xstrdup(text);
		TessDeleteText(text);
	} else if (r == 0)
		r = error_set(-EIO,
		    "Tesseract could not read the region: select it again");
	TessBaseAPIClear(o->api);
	return r;
}
