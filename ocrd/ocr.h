/*
 * ocr.h -- text recognised in a grayscale picture with Tesseract (Debian's
 * libtesseract, its C API), bounded in time.
 *
 * One struct ocr is one Tesseract engine: use it from one thread at a
 * time (ocrd runs it on its one worker thread; a second request while it
 * works is answered "busy").  Tesseract's own allocations are bounded by
 * the process (RLIMIT_AS, the unit's MemoryMax), not here.
 */
#ifndef OCRD_OCR_H
#define OCRD_OCR_H

#include "image.h"

#define OCR_LANG_MAX 32

struct ocr;

/* An engine reading the languages in datapath (NULL: Tesseract's default,
 * /usr/share/tesseract-ocr/5/tessdata): NULL and a message (error_set())
 * when none can be loaded. */
struct ocr *ocr_new(const char *datapath);
void ocr_free(struct ocr *); /* NULL is fine */

/* The installed languages ("eng", "deu", ...; "osd" left out), in the
 * order Tesseract lists them; borrowed, NULL-terminated. */
const char *const *ocr_languages(const struct ocr *);
int ocr_language_known(const struct ocr *, const char *lang);

/* Reads the text of picture in lang within timeout_ms: 0 and *ret_text
 * (UTF-8, the caller frees it with free()), -EINVAL for a language not
 * installed, -ETIMEDOUT when the deadline cut recognition off, -EIO when
 * Tesseract failed; each with a message. */
int ocr_read(struct ocr *, const struct image_gray *picture, const char *lang,
    int timeout_ms, char **ret_text);

#endif
