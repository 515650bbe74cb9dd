/*
 * range.h -- the HTTP Range header of downloads (RFC 9110, section 14).
 *
 * One byte range is served; a header with several ranges or bad syntax is
 * ignored (the whole image is sent, as the RFC allows).
 */
#ifndef MEDIAD_RANGE_H
#define MEDIAD_RANGE_H

#include <stdint.h>

/*
 * 0 with the range in *ret_start and *ret_len; 1 when the header is absent or
 * ignored (send everything); -ERANGE when it cannot be satisfied (416).
 */
int range_parse(
    const char *header, uint64_t size, uint64_t *ret_start, uint64_t *ret_len);

#endif
